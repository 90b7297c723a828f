"""WeChat's wire format: signatures, hardened XML parsing, safe-mode crypto and passive-reply XML.

- Signatures are SHA-1 over the sorted strings (token, timestamp, nonce[, Encrypt]) exactly as WeChat
  builds them (``wechatpy.utils.WeChatSigner``), compared in constant time.
- XML is parsed with ``defusedxml`` and DTDs forbidden outright: WeChat never sends one, and refusing
  the DOCTYPE means an entity bomb ("billion laughs") or an external entity is never expanded or fetched.
- Safe mode (安全模式, ``WECHAT_AES_KEY`` set): the body carries ``Encrypt`` signed by ``msg_signature``;
  ``wechatpy.crypto.WeChatCrypto`` decrypts (after our own parse: it would otherwise parse the body with
  xmltodict) and encrypts the reply.
- Passive replies are rendered here rather than with wechatpy's reply templates, which put text into
  CDATA without guarding a "]]>" inside it.
"""

from __future__ import annotations

import hmac
import time
from xml.etree.ElementTree import Element, ParseError

from bot.channels.settings import WeChatSettings


class BadSignature(Exception):
    """The request was not signed with our token (or is too old): 403."""


class BadMessage(Exception):
    """The body is not a WeChat message we can read (malformed, oversized, hostile): 400."""


#: A signed request older (or newer) than this is refused: a replay, not WeChat's retry (≤ 15 s).
MAX_CLOCK_SKEW_S = 600


def signature(*parts: str) -> str:
    """WeChat's signature of ``parts`` (token, timestamp, nonce and, in safe mode, the Encrypt text)."""
    from wechatpy.utils import WeChatSigner

    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def check_signature(settings: WeChatSettings, params: dict[str, str], *, now: float | None = None) -> None:
    """Raise :class:`BadSignature` unless ``signature`` signs (token, timestamp, nonce) and is recent."""
    timestamp, nonce, given = params.get("timestamp", ""), params.get("nonce", ""), params.get("signature", "")
    if not (timestamp.isdigit() and nonce and given and len(nonce) <= 64 and len(timestamp) <= 12):
        raise BadSignature("missing signature parameters")
    if not hmac.compare_digest(given.lower().encode(), signature(settings.token, timestamp, nonce).encode()):
        raise BadSignature("signature mismatch")
    if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_CLOCK_SKEW_S:
        raise BadSignature("timestamp out of range")


def parse_xml(body: bytes | str) -> dict[str, str]:
    """The children of ``<xml>`` as {tag: text}; raise :class:`BadMessage` for anything else."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        root: Element = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise BadMessage(f"refused XML construct: {type(exc).__name__}") from exc
    except (ParseError, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadMessage("malformed XML") from exc
    if root.tag != "xml":
        raise BadMessage("root element is not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if len(child):  # WeChat's messages are flat; nested elements (except in events we ignore) are not ours
            continue
        fields[child.tag] = (child.text or "").strip() if child.tag != "Content" else (child.text or "")
    return fields


def decrypt(settings: WeChatSettings, params: dict[str, str], envelope: dict[str, str]) -> dict[str, str]:
    """Safe mode: check ``msg_signature`` over the Encrypt text, decrypt, parse the inner message."""
    encrypted = envelope.get("Encrypt", "")
    if not encrypted:
        raise BadMessage("safe mode: no Encrypt element")
    given = params.get("msg_signature", "")
    expected = signature(settings.token, params.get("timestamp", ""), params.get("nonce", ""), encrypted)
    if not given or not hmac.compare_digest(given.lower().encode(), expected.encode()):
        raise BadSignature("msg_signature mismatch")
    from wechatpy.crypto import PrpCrypto, WeChatCrypto

    crypto = WeChatCrypto(settings.token, settings.aes_key, settings.app_id)
    try:
        inner = PrpCrypto(crypto.key).decrypt(encrypted, settings.app_id)
    except Exception as exc:  # wrong key, wrong AppID, truncated or forged ciphertext
        raise BadMessage("cannot decrypt the message") from exc
    return parse_xml(inner)


def cdata(text: str) -> str:
    """``text`` inside CDATA, with any "]]>" split so it cannot close the section early."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def passive_text(*, to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    """A passive text reply (the XML answered in the HTTP response)."""
    created = now if now is not None else int(time.time())
    return (f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content></xml>")


def encrypt_reply(settings: WeChatSettings, xml: str, nonce: str, timestamp: str) -> str:
    """Safe mode: the reply XML encrypted and signed, as WeChat expects it back."""
    from wechatpy.crypto import WeChatCrypto

    return str(WeChatCrypto(settings.token, settings.aes_key, settings.app_id).encrypt_message(xml, nonce, timestamp))


def numbered_text(reply: object) -> str:
    """A reply as WeChat shows it: buttons become numbered lines and a "回复 1/2/3" hint.

    Answering with the number or the label presses the button (``choices.pressed_value``).
    """
    from dialogs.replies import Reply
    from dialogs.texts import say

    assert isinstance(reply, Reply)
    if not reply.buttons:
        return reply.text
    lines = [reply.text.rstrip(), ""] if reply.text.strip() else []
    lines += [f"{n}. {button.label}" for n, button in enumerate(reply.buttons, start=1)]
    lines.append(say("channels.choose_hint", numbers="/".join(str(n) for n in range(1, len(reply.buttons) + 1))))
    return "\n".join(lines)


def split_utf8(text: str, limit: int = 2000) -> list[str]:
    """Pieces of at most ``limit`` UTF-8 bytes (WeChat's customer-service text limit is 2048), cut at lines."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(line.encode("utf-8")) > limit:
            cut = limit // 3  # three bytes per Chinese character: never splits a character
            pieces.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        pieces.append(current)
    return pieces
