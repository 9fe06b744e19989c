/** The invitation and password-reset emails: plain text and a minimal HTML twin, each with its one link. */
import type { MailMessage } from "../ports";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function html(title: string, lines: string[], link: string, button: string): string {
  return `<!doctype html><html><body style="font-family:sans-serif"><h1 style="font-size:18px">${escape(title)}</h1>${lines
    .map((l) => `<p>${escape(l)}</p>`)
    .join("")}<p><a href="${escape(link)}">${escape(button)}</a></p></body></html>`;
}

export function renderInvitationEmail(opts: { to: string; supplierName: string; invitedBy: string; role: string; link: string; expiresAt: string; key: string }): MailMessage {
  const title = `You are invited to ${opts.supplierName} on the Acme Flowers export portal`;
  const lines = [
    `${opts.invitedBy} invited you to join ${opts.supplierName} as ${opts.role}.`,
    `The link works once and expires at ${opts.expiresAt}.`,
  ];
  return {
    to: opts.to,
    subject: title,
    text: [...lines, "", `Accept the invitation and choose a password: ${opts.link}`].join("\n"),
    html: html(title, lines, opts.link, "Accept the invitation"),
    idempotencyKey: opts.key,
  };
}

export function renderResetEmail(opts: { to: string; link: string; expiresAt: string; key: string }): MailMessage {
  const title = "Reset your password";
  const lines = [
    "Someone (hopefully you) asked to reset the password of your Acme Flowers export portal account.",
    `The link works once and expires at ${opts.expiresAt}. If you did not ask, ignore this email: your password stays as it is.`,
  ];
  return {
    to: opts.to,
    subject: title,
    text: [...lines, "", `Choose a new password: ${opts.link}`].join("\n"),
    html: html(title, lines, opts.link, "Choose a new password"),
    idempotencyKey: opts.key,
  };
}
