"""SOAP 1.1 envelopes of the legacy ERP's ``SalesService``, built and read with ``xml.etree``.

A request is ``<soap:Envelope><soap:Header><wsse:Security>`` (a WS-Security
``UsernameToken`` with a text password) ``<soap:Body><erp:Operation>...``; the
answer's body holds ``<erp:OperationResponse>`` or a ``<soap:Fault>``
(``faultcode`` ``soap:Client`` or ``soap:Server``, ``faultstring``, and
``detail/erp:ErpError/erp:Code``), always with HTTP 500 as SOAP 1.1 has it.
SOAP forbids document type declarations, so a document that has one is refused
before it is parsed (no entity expansion ever runs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree import ElementTree as ET

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
ERP_NS = "urn:legacy-erp:sales:2009"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
                 "#PasswordText")
SOAP_ACTION = "urn:legacy-erp:sales:2009#{}"
ET.register_namespace("soap", SOAP_NS)
ET.register_namespace("erp", ERP_NS)
ET.register_namespace("wsse", WSSE_NS)

Fields = Iterable[tuple[str, "str | Fields | None"]]


class NotSoap(ValueError):
    """The bytes are not a SOAP envelope this service reads."""


@dataclass(frozen=True)
class SoapFault:
    faultcode: str
    faultstring: str
    code: str | None

    @property
    def client(self) -> bool:
        """The caller's fault (``soap:Client``), as opposed to the server's."""
        return self.faultcode.split(":")[-1].startswith("Client")


def erp(tag: str) -> str:
    return f"{{{ERP_NS}}}{tag}"


def _fill(parent: ET.Element, fields: Fields) -> None:
    for tag, value in fields:
        if value is None:
            continue
        child = ET.SubElement(parent, erp(tag))
        if isinstance(value, str):
            child.text = value
        else:
            _fill(child, value)


def envelope(operation: str, fields: Fields, *, username: str | None = None, password: str | None = None) -> bytes:
    """``<soap:Envelope>`` calling ``operation`` with ``fields`` (nested pairs; ``None`` left out)."""
    root = ET.Element(f"{{{SOAP_NS}}}Envelope")
    if username is not None:
        header = ET.SubElement(root, f"{{{SOAP_NS}}}Header")
        token = ET.SubElement(ET.SubElement(header, f"{{{WSSE_NS}}}Security"), f"{{{WSSE_NS}}}UsernameToken")
        ET.SubElement(token, f"{{{WSSE_NS}}}Username").text = username
        secret = ET.SubElement(token, f"{{{WSSE_NS}}}Password", Type=PASSWORD_TEXT)
        secret.text = password or ""
    _fill(ET.SubElement(ET.SubElement(root, f"{{{SOAP_NS}}}Body"), erp(operation)), fields)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def parse(content: bytes) -> ET.Element:
    """The envelope's root; a DTD, bad XML or another root is ``NotSoap``."""
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise NotSoap("a SOAP message must not contain a document type declaration")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise NotSoap(f"not well-formed XML: {exc}") from exc
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise NotSoap("not a SOAP 1.1 envelope")
    return root


def body_of(root: ET.Element) -> ET.Element:
    """The one element in ``soap:Body``."""
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None or len(body) != 1:
        raise NotSoap("a SOAP body holds exactly one element")
    return body[0]


def credentials(root: ET.Element) -> tuple[str, str] | None:
    token = root.find(f"{{{SOAP_NS}}}Header/{{{WSSE_NS}}}Security/{{{WSSE_NS}}}UsernameToken")
    if token is None:
        return None
    return (token.findtext(f"{{{WSSE_NS}}}Username") or "", token.findtext(f"{{{WSSE_NS}}}Password") or "")


def fault_of(content: bytes) -> SoapFault | None:
    """The fault a response carries, or ``None`` (a normal answer, or no SOAP at all)."""
    try:
        element = body_of(parse(content))
    except NotSoap:
        return None
    if element.tag != f"{{{SOAP_NS}}}Fault":
        return None
    return SoapFault(element.findtext("faultcode") or "", element.findtext("faultstring") or "",
                     element.findtext(f"detail/{erp('ErpError')}/{erp('Code')}"))


def fault(faultcode: str, faultstring: str, code: str) -> bytes:
    """A ``<soap:Fault>`` envelope with the ERP's error code in its detail."""
    root = ET.Element(f"{{{SOAP_NS}}}Envelope")
    element = ET.SubElement(ET.SubElement(root, f"{{{SOAP_NS}}}Body"), f"{{{SOAP_NS}}}Fault")
    ET.SubElement(element, "faultcode").text = f"soap:{faultcode}"
    ET.SubElement(element, "faultstring").text = faultstring
    ET.SubElement(ET.SubElement(ET.SubElement(element, "detail"), erp("ErpError")), erp("Code")).text = code
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def text(element: ET.Element, tag: str) -> str | None:
    return element.findtext(erp(tag))


def children(element: ET.Element, path: str) -> list[ET.Element]:
    return element.findall("/".join(erp(part) for part in path.split("/")))
