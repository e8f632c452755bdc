"""A case as mail: the subject, body text and sender of an .eml file or of pasted text that starts with headers.

Only what starts like a mail is handed to the email parser, and only the first ``MAX_INPUT`` characters
of a case are read at all; what is left is plain text for ``case.py`` to split into its parts.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage, MIMEPart
from email.utils import parseaddr

MAX_INPUT = 1_000_000  # characters (or bytes of an .eml) read at all: headers and body of any real mail fit

HEADER_LINE = re.compile(r"^(From|To|Cc|Subject|Date|Reply-To|Message-ID|MIME-Version|Content-Type|Sent):", re.I)
_ANY_HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,76}:")


@dataclass(frozen=True, slots=True)
class MailText:
    subject: str
    body: str
    sender_name: str | None = None  # the display name of From:, when the case is a mail


def read_case(raw: str | bytes) -> MailText:
    """The case's subject, body and sender, from its first ``MAX_INPUT`` characters (or bytes).

    The cut comes before any parsing: a 10 MB paste or mail header must not reach the patterns.
    """
    return _split_headers(raw[:MAX_INPUT])


def eml_to_text(raw: bytes) -> str:
    """An .eml file as readable text: the main headers, then the body (so it can be shown and re-read)."""
    mail = _split_headers(raw)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    head = [f"{name}: {message[name]}" for name in ("From", "To", "Date") if message[name]]
    if mail.subject:
        head.append(f"Subject: {mail.subject}")
    return ("\n".join(head) + "\n\n" if head else "") + mail.body.strip() + "\n"


def _split_headers(raw: str | bytes) -> MailText:
    """Subject, body text and sender name of an .eml or of pasted text that starts with mail headers."""
    if isinstance(raw, bytes):
        # Only what starts like a mail is parsed as one: the parser files a "defect" for every line of a
        # headerless paste, 1.6 s for a megabyte of blank lines.
        if _starts_with_headers(raw[:4096].decode("utf-8", errors="replace")):
            message = email.message_from_bytes(raw, policy=email.policy.default)
            if isinstance(message, EmailMessage) and (message["From"] or message["Subject"]):
                return _from_message(message)
        raw = raw.decode("utf-8", errors="replace")
    text = raw.replace("\r\n", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    head = [ln for ln in lines[:12] if ln.strip()]
    if head and HEADER_LINE.match(head[0]) and sum(bool(HEADER_LINE.match(ln)) for ln in head[:6]) >= 2:
        message = email.message_from_string(text, policy=email.policy.default)
        if isinstance(message, EmailMessage) and message.get_payload():
            return _from_message(message)
    subject = ""
    if lines and lines[0].lower().startswith("subject:"):
        subject, text = lines[0][8:].strip(), "\n".join(lines[1:])
    return MailText(subject, text)


def _starts_with_headers(head: str) -> bool:
    """Whether text starts with mail headers of any name (Received:, X-Mailer:, DKIM-Signature: …)."""
    lines = [ln for ln in head.replace("\r\n", "\n").lstrip("\ufeff").split("\n")[:12] if ln.strip()]
    return (
        bool(lines) and bool(_ANY_HEADER.match(lines[0])) and sum(bool(_ANY_HEADER.match(ln)) for ln in lines[:6]) >= 2
    )


def _from_message(message: EmailMessage) -> MailText:
    subject = str(message["Subject"] or "")
    name, _address = parseaddr(str(message["From"] or ""))
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None and not message.is_multipart():
        part = message
    body = _decoded_text(part) if part is not None else ""
    if part is not None and part.get_content_subtype() == "html":
        body = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style).*?</\1>", " ", body)))
    return MailText(subject, body, name or None)


def _decoded_text(part: EmailMessage | MIMEPart) -> str:
    """The part's text; mail without a declared charset is read as UTF-8 (what pasted cases are)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload())
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")
