import { z } from 'zod';
import { presences } from './presence.js';

export const presenceSettings = ['available', 'away'] as const;

export const agentPresenceSchema = z.object({
  agentId: z.uuid(),
  name: z.string(),
  presence: z.enum(presences).meta({
    description:
      '`on_call` (an open call), else `wrap_up` (until `wrapUpUntil`), else `offline` (no socket of a user linked to the agent), else `available` (setting `available`, agent active and available), else `online`',
  }),
  setting: z
    .enum(presenceSettings)
    .meta({ description: "The agent's own setting: `away` takes no dialer calls" }),
  online: z.boolean().meta({ description: 'A socket of a user linked to the agent is connected' }),
  onCall: z.boolean(),
  wrapUpUntil: z.date().nullable(),
  lastSeenAt: z.date().nullable(),
});

export const presenceParams = z.object({ agentId: z.uuid() });

export const presenceSettingInput = z.object({ setting: z.enum(presenceSettings) });
