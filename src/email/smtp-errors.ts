import { PermanentJobError } from '../queue/job-types.js';

export interface SmtpFailure {
  /** What the server said, for the recipient's record. */
  response: string;
  /** The recipient address itself was refused (a hard bounce): suppress it. */
  recipientRejected: boolean;
  /** Retrying cannot help (5xx, bad credentials). */
  permanent: boolean;
  authFailed: boolean;
}

/** Classifies a nodemailer error by its SMTP reply code. */
export function classifySmtpError(error: unknown): SmtpFailure {
  const { code, responseCode, response, command, message } = error as {
    code?: string;
    responseCode?: number;
    response?: string;
    command?: string;
    message?: string;
  };
  const authFailed = code === 'EAUTH';
  const permanent = authFailed || (responseCode !== undefined && responseCode >= 500);
  return {
    response: response ?? message ?? String(error),
    recipientRejected: permanent && !authFailed && (code === 'EENVELOPE' || command === 'RCPT TO'),
    permanent,
    authFailed,
  };
}

export function toEmailJobError(failure: SmtpFailure): Error {
  return failure.permanent
    ? new PermanentJobError(
        `SMTP refused the message: ${failure.response}`,
        failure.authFailed ? 'smtp_auth_failed' : 'smtp_rejected',
      )
    : new Error(`SMTP temporary failure: ${failure.response}`);
}
