// The email component's public surface: other folders import from here only.
export { enqueueEmailSend, recordEmail } from './email.service.js';
export { absent, ownValueAt } from './template-lookup.js';
export { fromHeader, smtpTransportsOf } from './smtp-transports.js';
