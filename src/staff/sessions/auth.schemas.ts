import { z } from 'zod';

const password = z.string().min(1).max(1024);

export const loginBody = z.object({
  clientCode: z.string().trim().min(1).max(64).describe("The tenant's client code"),
  email: z.string().trim().min(3).max(254),
  password,
});

export const refreshBody = z.object({
  refreshToken: z.string().min(1).max(200).optional().describe('Or the refresh-token cookie'),
});

export const logoutBody = refreshBody;

export const sessionUserSchema = z.object({
  id: z.uuid(),
  ref: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.string(),
  agentId: z.uuid().nullable(),
  permissions: z.array(z.string()),
});

export const tokenPairSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('Seconds until the access token expires'),
  refreshToken: z.string(),
  user: sessionUserSchema,
});

export type SessionUser = z.infer<typeof sessionUserSchema>;
export type TokenPair = z.infer<typeof tokenPairSchema>;
