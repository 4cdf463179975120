// The whatsapp component's public surface: other folders import from here only.
export { conversationForRecipient } from './inbox/conversations.repository.js';
export type { SendMessageBody } from './inbox/conversations.schemas.js';
export { enqueueSend, queueOutboundMessage } from './sending/outbound.service.js';
export {
  conversationInServiceWindow,
  failUnsentOutbound,
  recordOutboundDocument,
  sendOutboundDocument,
} from './sending/outbound-document.js';
export { templateStatus } from './templates/templates.repository.js';
export { change, inbound, signedRequest, status, testAppSecret, webhook } from './testing/meta-payloads.js';
export { loadWhatsAppChannel } from './whatsapp-config.js';
