"""Free-text cases with expected spans, modelled on public recognizer test suites.

Each case is ``(source, text, focus, note)``. Expected spans are written
inline as ``[[ENTITY|value]]`` (piiwarden's entity names); ``parse`` turns a
case into the plain text and its (entity, start, end) spans, so offsets can
never drift from the text. ``focus`` names the entities a case is about even
when it expects none of them (a negative: ``Foo :: Bar`` is an IP_ADDRESS
case); every expected entity is a focus too.

Sources: the file of microsoft/presidio's ``presidio-analyzer/tests/`` whose
parametrized case is transcribed (texts and spans as Presidio expects them;
CREDIT_CARD -> BANK_CARD, PERSON -> PERSON_NAME; URL-only and DATE_TIME cases
become negatives: they hold no piiwarden entity), the file of LeapBeyond/
scrubadub's ``tests/`` whose BEFORE/AFTER case is transcribed (its
{{PHONE}}, {{EMAIL}}, ... replacements marked as spans; a mainland ``+86``
mobile is CN_MOBILE_PHONE in piiwarden's vocabulary), ``issue-16`` for the
examples listed in the issue, and ``zh`` for Chinese cases written here from
/work/shared/spec/ENTITIES.md (valid/invalid check characters computed by
the spec's rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = "presidio-analyzer/tests/test_email_recognizer.py"
CARD = "presidio-analyzer/tests/test_credit_card_recognizer.py"
IP = "presidio-analyzer/tests/test_ip_recognizer.py"
SSN = "presidio-analyzer/tests/test_us_ssn_recognizer.py"
PHONE = "presidio-analyzer/tests/test_phone_recognizer.py"
URL = "presidio-analyzer/tests/test_url_recognizer.py"
SPACY = "presidio-analyzer/tests/test_spacy_recognizer.py"
S_EMAIL = "scrubadub/tests/test_detector_emails.py"
S_PHONE = "scrubadub/tests/test_phone_numbers.py"
S_CARD = "scrubadub/tests/test_detector_credit_card.py"
S_SSN = "scrubadub/tests/test_detector_en_US_ssn.py"
S_ADDRESS = "scrubadub/tests/test_detector_address.py"
S_DOB = "scrubadub/tests/test_detector_date_of_birth.py"
ISSUE = "issue-16"
ZH = "zh"

_MARK = re.compile(r"\[\[([A-Z_]+)\|(.*?)\]\]", re.DOTALL)


@dataclass(frozen=True)
class Case:
    """One text, the spans a correct analyzer returns, and the entities the case tests."""

    source: str
    text: str
    spans: tuple[tuple[str, int, int], ...]
    focus: frozenset[str]
    note: str = ""


def parse(source: str, marked: str, focus: tuple[str, ...] = (), note: str = "") -> Case:
    """A case from marked-up text: ``[[ENTITY|value]]`` marks an expected span."""
    text, spans, pos = [], [], 0
    length = 0
    for m in _MARK.finditer(marked):
        plain = marked[pos:m.start()]
        text.append(plain)
        length += len(plain)
        spans.append((m.group(1), length, length + len(m.group(2))))
        text.append(m.group(2))
        length += len(m.group(2))
        pos = m.end()
    text.append(marked[pos:])
    entities = frozenset(focus) | {e for e, _s, _e in spans}
    return Case(source, "".join(text), tuple(spans), entities, note)


_RAW: list[tuple[str, str, tuple[str, ...], str]] = [
    # --- e-mail (Presidio) ---
    (EMAIL, "[[EMAIL_ADDRESS|info@presidio.site]]", (), ""),
    (EMAIL, "my email address is [[EMAIL_ADDRESS|info@presidio.site]]", (), ""),
    (EMAIL, "try one of these emails: [[EMAIL_ADDRESS|info@presidio.site]] or "
            "[[EMAIL_ADDRESS|anotherinfo@presidio.site]]", (), ""),
    (EMAIL, "my email is info@presidio.", ("EMAIL_ADDRESS",), "no TLD"),
    # --- credit card (Presidio CREDIT_CARD -> BANK_CARD) ---
    (CARD, "[[BANK_CARD|4012888888881881]] [[BANK_CARD|4012-8888-8888-1881]] [[BANK_CARD|4012 8888 8888 1881]]",
     (), ""),
    (CARD, "[[BANK_CARD|122000000000003]]", (), "AirPlus, 15 digits"),
    (CARD, "my credit card: [[BANK_CARD|122000000000003]]", (), ""),
    (CARD, "[[BANK_CARD|371449635398431]]", (), "Amex"),
    (CARD, "[[BANK_CARD|5555555555554444]]", (), "Mastercard"),
    (CARD, "[[BANK_CARD|5019717010103742]]", (), "Dankort"),
    (CARD, "[[BANK_CARD|30569309025904]]", (), "Diners, 14 digits"),
    (CARD, "[[BANK_CARD|6011000400000000]]", (), "Discover"),
    (CARD, "[[BANK_CARD|3528000700000000]]", (), "JCB"),
    (CARD, "[[BANK_CARD|6759649826438453]]", (), "Maestro"),
    (CARD, "[[BANK_CARD|4111111111111111]]", (), "Visa"),
    (CARD, "[[BANK_CARD|4917300800000000]]", (), "Visa Electron"),
    (CARD, "[[BANK_CARD|4484070000000000]]", (), "Visa purchasing"),
    (CARD, "4012-8888-8888-1882", ("BANK_CARD",), "Luhn fails"),
    (CARD, "my credit card number is 4012-8888-8888-1882", ("BANK_CARD",), "Luhn fails"),
    (CARD, "36168002586008", ("BANK_CARD",), "Luhn fails"),
    (CARD, "my credit card number is 36168002586008", ("BANK_CARD",), "Luhn fails"),
    # --- IP (Presidio) ---
    (IP, "microsoft.com [[IP_ADDRESS|192.168.0.1]]", (), ""),
    (IP, "my ip: 192.168.0", ("IP_ADDRESS",), ""),
    (IP, "microsoft.com [[IP_ADDRESS|684D:1111:222:3333:4444:5555:6:77]]", (), ""),
    (IP, "my ip: [[IP_ADDRESS|684D:1111:222:3333:4444:5555:6:77]]", (), ""),
    (IP, "684D:1111:222:3333:4444:5555:77", ("IP_ADDRESS",), "seven groups"),
    (IP, "[[IP_ADDRESS|2345:0425:2CA1:0000:0000:0567:5673:23b5]]", (), ""),
    (IP, "[[IP_ADDRESS|2345:0425:2CA1::0567:5673:23b5]]", (), ""),
    (IP, "[[IP_ADDRESS|2400:c401::5054:ff:fe1b:b031]]", (), ""),
    (IP, "Use local ipv6 ::", ("IP_ADDRESS",), "Presidio scores a bare :: 0.05-0.15; not a person's address"),
    (IP, "my ip: [[IP_ADDRESS|::1]]", (), ""),
    (IP, "connecting from [[IP_ADDRESS|::1]]", (), ""),
    (IP, "src=:: dst=[[IP_ADDRESS|::1]]", (), "bare :: scored 0.05-0.15 by Presidio"),
    (IP, "[[IP_ADDRESS|fe80::1]]", (), ""),
    (IP, "[[IP_ADDRESS|2001:db8::8a2e:370:7334]]", (), ""),
    (IP, "[[IP_ADDRESS|2001:db8:85a3::8a2e:370]]", (), ""),
    (IP, "[[IP_ADDRESS|2001:db8::1]]", (), ""),
    (IP, "[[IP_ADDRESS|fe80::1%eth0]]", (), "zone index"),
    (IP, "Server IP: [[IP_ADDRESS|2001:db8::1]]", (), ""),
    (IP, "Connect to [[[IP_ADDRESS|2001:db8::1]]]:8080", (), ""),
    (IP, "my ip is [[IP_ADDRESS|2400:c401::5054:ff:fe1b:b031]]", (), ""),
    (IP, "Gateway: [[IP_ADDRESS|fe80::1]] on interface", (), ""),
    (IP, "Visit http://[[[IP_ADDRESS|2001:db8::1]]]/path", (), ""),
    (IP, "SSH to user@[[IP_ADDRESS|2001:db8::1]]", (), ""),
    (IP, "[[IP_ADDRESS|::ffff:192.0.2.1]]", (), "IPv4-mapped"),
    (IP, "[[IP_ADDRESS|::ffff:10.0.0.1]]", (), ""),
    (IP, "[[IP_ADDRESS|::ffff:172.16.0.1]]", (), ""),
    (IP, "[[IP_ADDRESS|::ffff:127.0.0.1]]", (), ""),
    (IP, "[[IP_ADDRESS|::ffff:255.255.255.255]]", (), ""),
    (IP, "[[IP_ADDRESS|::ffff:0.0.0.0]]", (), ""),
    (IP, "[[IP_ADDRESS|::ffff:0:192.168.1.1]]", (), ""),
    (IP, "[[IP_ADDRESS|::ffff:0000:10.0.0.1]]", (), ""),
    (IP, "Mapped: [[IP_ADDRESS|::ffff:192.168.1.1]]", (), ""),
    (IP, "Connect to [[IP_ADDRESS|::ffff:10.0.0.1]] now", (), ""),
    (IP, "[[[IP_ADDRESS|::ffff:192.168.1.1]]]:80", (), ""),
    (IP, "[[IP_ADDRESS|::192.168.1.1]]", (), "IPv4-compatible"),
    (IP, "[[IP_ADDRESS|::10.0.0.1]]", (), ""),
    (IP, "::ffff:256.0.0.1", ("IP_ADDRESS",), "bad octet: no ::ffff:256 either"),
    (IP, "::ffff:192.168.1", ("IP_ADDRESS",), ""),
    (IP, "[[IP_ADDRESS|2001:db8::192.168.1.1]]", (), "IPv4-embedded"),
    (IP, "[[IP_ADDRESS|2001:db8:1::192.0.2.1]]", (), ""),
    (IP, "[[IP_ADDRESS|64:ff9b::192.0.2.1]]", (), ""),
    (IP, "[[IP_ADDRESS|2001:db8:85a3::8a2e:192.168.0.1]]", (), ""),
    (IP, "[[IP_ADDRESS|0:0:0:0:0:FFFF:129.144.52.38]]", (), ""),
    (IP, "[[IP_ADDRESS|2001:db8:0:0:0:0:192.168.1.1]]", (), ""),
    (IP, "NAT64: [[IP_ADDRESS|64:ff9b::198.51.100.1]]", (), ""),
    (IP, "Tunnel to [[IP_ADDRESS|2001:db8::10.0.0.1]]", (), ""),
    (IP, "2001:db8::256.1.1.1", ("IP_ADDRESS",), "bad octet"),
    (IP, "IPv4: [[IP_ADDRESS|192.168.1.1]], IPv6: [[IP_ADDRESS|2001:db8::1]]", (), ""),
    (IP, "Primary: [[IP_ADDRESS|10.0.0.1]], Secondary: [[IP_ADDRESS|172.16.0.1]]", (), ""),
    (IP, "IPs: [[IP_ADDRESS|192.168.1.1]], [[IP_ADDRESS|10.0.0.1]], [[IP_ADDRESS|2001:db8::1]]", (), ""),
    (IP, "MAC address [[MAC_ADDRESS|aa:bb:cc:dd:ee:ff]]", ("IP_ADDRESS",), "no IP; a MAC_ADDRESS since round 2"),
    (IP, "Time 12:34:56", ("IP_ADDRESS",), ""),
    (IP, "Ratio 1:2:3:4", ("IP_ADDRESS",), ""),
    (IP, "CSS color #ff00aa", ("IP_ADDRESS",), ""),
    (IP, "Version 1.2.3", ("IP_ADDRESS",), ""),
    (IP, "Port 80:443", ("IP_ADDRESS",), ""),
    (IP, "abc:def:ghi", ("IP_ADDRESS",), ""),
    (IP, "123:abc", ("IP_ADDRESS",), ""),
    (IP, "file:///path/to/file", ("IP_ADDRESS",), ""),
    (IP, "std::cout", ("IP_ADDRESS",), ""),
    (IP, "MyClass::toString", ("IP_ADDRESS",), ""),
    (IP, ":::", ("IP_ADDRESS",), ""),
    (IP, "IP192.168.1.1text", ("IP_ADDRESS",), "glued to letters"),
    (IP, "text192.168.1.1", ("IP_ADDRESS",), "glued to letters"),
    (IP, "([[IP_ADDRESS|192.168.1.1]])", (), ""),
    (IP, "'[[IP_ADDRESS|2001:db8::1]]'", (), ""),
    (IP, "IP: [[IP_ADDRESS|192.168.1.1]].", (), "sentence-final dot"),
    (IP, "[[IP_ADDRESS|192.168.1.1]],", (), ""),
    (IP, "[[[IP_ADDRESS|2001:db8::1]]]", (), ""),
    (IP, "Server IP: [[IP_ADDRESS|2400:c401::5054:ff:fe1b:b031]].", (), ""),
    (IP, "[[IP_ADDRESS|2001:db8::1]].", (), ""),
    (IP, "fe80::1text", ("IP_ADDRESS",), "glued to letters"),
    (IP, "text2001:db8::1", ("IP_ADDRESS",), "glued to letters"),
    (IP, "[[IP_ADDRESS|192.168.1.1]].1", (), "first four octets only"),
    (IP, "256.256.256.256", ("IP_ADDRESS",), ""),
    (IP, "192.168.1.256", ("IP_ADDRESS",), ""),
    (IP, "gggg:hhhh::1234", ("IP_ADDRESS",), ""),
    (IP, "192.168.1", ("IP_ADDRESS",), ""),
    (IP, "300.168.1.1", ("IP_ADDRESS",), ""),
    (IP, "12345:db8::1", ("IP_ADDRESS",), ""),
    (IP, "2001::db8::1", ("IP_ADDRESS",), "two ::"),
    (IP, "[[IP_ADDRESS|192.168.2.1]]@eth0", (), ""),
    (IP, "text::ffff:[[IP_ADDRESS|192.0.2.1]]", (), ""),
    (IP, "foo2001:db8::[[IP_ADDRESS|10.0.0.1]]", (), ""),
    (IP, "localhost [[IP_ADDRESS|127.0.0.1]]", (), ""),
    (IP, "Broadcast [[IP_ADDRESS|255.255.255.255]]", (), ""),
    (IP, "Private [[IP_ADDRESS|10.0.0.0]]", (), ""),
    (IP, "Link-local [[IP_ADDRESS|169.254.1.1]]", (), ""),
    (IP, "Subnet [[IP_ADDRESS|172.16.0.0]]", (), ""),
    (IP, "Default [[IP_ADDRESS|0.0.0.0]]", (), ""),
    (IP, "Unspecified ::", ("IP_ADDRESS",), "Presidio: score 0.05-0.15"),
    (IP, "Loopback [[IP_ADDRESS|::1]]", (), ""),
    (IP, "Multicast [[IP_ADDRESS|ff02::1]]", (), ""),
    (IP, "[[IP_ADDRESS|192.168.1.0/24]]", (), "CIDR: the whole prefix"),
    (IP, "[[IP_ADDRESS|10.0.0.0/8]]", (), ""),
    (IP, "[[IP_ADDRESS|0.0.0.0/0]]", (), ""),
    (IP, "[[IP_ADDRESS|192.168.1.1/32]]", (), ""),
    (IP, "[[IP_ADDRESS|2001:db8::/32]]", (), ""),
    (IP, "[[IP_ADDRESS|fe80::/10]]", (), ""),
    (IP, "[[IP_ADDRESS|::1/128]]", (), ""),
    (IP, "[[IP_ADDRESS|fe80::1%eth0/64]]", (), ""),
    (IP, "[[IP_ADDRESS|2001:db8::%eth0/128]]", (), ""),
    (IP, "::/0", ("IP_ADDRESS",), "Presidio: score 0.05-0.15"),
    (IP, "::/128", ("IP_ADDRESS",), "Presidio: score 0.05-0.15"),
    (IP, "[[IP_ADDRESS|::ffff:192.168.1.0/96]]", (), ""),
    (IP, "[[IP_ADDRESS|64:ff9b::192.0.2.0/96]]", (), ""),
    (IP, "Subnet: [[IP_ADDRESS|192.168.1.0/24]]", (), ""),
    (IP, "Prefix: [[IP_ADDRESS|2001:db8::/32]]", (), ""),
    (IP, "Route is [[IP_ADDRESS|10.0.0.0/8]].", (), ""),
    (IP, "Use [[IP_ADDRESS|2001:db8::/32]].", (), ""),
    (IP, "[[IP_ADDRESS|10.0.0.0]]/123", (), "invalid prefix length: base address only"),
    (IP, "[[IP_ADDRESS|2001:db8::]]/9999", (), "invalid prefix length: base address only"),
    # --- US SSN (Presidio) ---
    (SSN, "[[US_SSN|078051121]]", (), "Presidio: weak match 0.3-0.4"),
    (SSN, "[[US_SSN|078-05-1123]]", (), ""),
    (SSN, "[[US_SSN|078.05.1123]]", (), "dot separators"),
    (SSN, "[[US_SSN|078 05 1123]]", (), ""),
    (SSN, "0780511201", ("US_SSN",), "ten digits"),
    (SSN, "078051120", ("US_SSN",), "Presidio's invalid-list number"),
    (SSN, "000000000", ("US_SSN",), ""),
    (SSN, "666000000", ("US_SSN",), ""),
    (SSN, "078-05-0000", ("US_SSN",), "serial 0000"),
    (SSN, "078 00 1123", ("US_SSN",), "group 00"),
    (SSN, "693-09.4444", ("US_SSN",), "mixed separators"),
    # --- phone (Presidio) ---
    (PHONE, "My US number is [[PHONE_NUMBER|(415) 555-0132]], and my international one is "
            "[[PHONE_NUMBER|+1 415 555 0132]]", (), ""),
    (PHONE, "My Israeli number is [[PHONE_NUMBER|09-7625400]]", (), ""),
    (PHONE, "_: [[PHONE_NUMBER|(415)555-0132]]", (), ""),
    (PHONE, "United States: [[PHONE_NUMBER|(415)555-0132]]", (), ""),
    (PHONE, "US: [[PHONE_NUMBER|415-555-0132]]", (), ""),
    (PHONE, "_: [[PHONE_NUMBER|+55 11 98456 5666]]", (), ""),
    (PHONE, "Brazil: [[PHONE_NUMBER|+55 11 98456 5666]]", (), ""),
    (PHONE, "BR: [[PHONE_NUMBER|+55 11 98456 5666]]", (), ""),
    # --- URL (Presidio): no piiwarden entity; e-mail/IP must not fire ---
    (URL, "https://www.microsoft.com/", ("IP_ADDRESS", "EMAIL_ADDRESS"), ""),
    (URL, "http://microsoft.com", ("IP_ADDRESS", "EMAIL_ADDRESS"), ""),
    (URL, "https://webhook.site/324d38de-dc6b-4920-9c3e-813f7cf78729?q=1&b=2", ("IP_ADDRESS", "EMAIL_ADDRESS"),
     ""),
    (URL, "my domains: microsoft.com google.co.il", ("IP_ADDRESS", "EMAIL_ADDRESS"), ""),
    # --- PERSON (Presidio spaCy recognizer; PERSON -> PERSON_NAME) ---
    (SPACY, "my name is [[PERSON_NAME|Dan]]", (), "needs NER"),
    (SPACY, "[[PERSON_NAME|Dan Tailor]]", (), ""),
    (SPACY, "[[PERSON_NAME|John Oliver]] is a comedian.", (), ""),
    (SPACY, "[[PERSON_NAME|Richard Milhous Nixon]]", (), ""),
    (SPACY, "[[PERSON_NAME|Richard M. Nixon]]", (), ""),
    (SPACY, "[[PERSON_NAME|Dan Bar]] has a bank account.", (), ""),
    (SPACY, "Mr. [[PERSON_NAME|Mayers]]", (), ""),
    (SPACY, "They call me Mr. [[PERSON_NAME|Mayers]]", (), ""),
    (SPACY, "I bought my car on May 1st, 1977", ("DATE_OF_BIRTH",), "DATE_TIME, not a birth date"),
    # --- scrubadub (LeapBeyond/scrubadub tests) ---
    (S_EMAIL, "My email is [[EMAIL_ADDRESS|john@gmail.com]]", (), ""),
    (S_EMAIL, "My email is [[EMAIL_ADDRESS|John@gmail.com]]", (), ""),
    (S_EMAIL, "My email is [[EMAIL_ADDRESS|John1@example.com]]", (), ""),
    (S_EMAIL, "My email is [[EMAIL_ADDRESS|adam80@example.info]]", (), ""),
    (S_EMAIL, "My email is [[EMAIL_ADDRESS|HELLO@EXAMPLE.COM]]", (), "upper case"),
    (S_EMAIL, "My email is [[EMAIL_ADDRESS|john at gmail.com]]", (), "obfuscated 'at'"),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|1-312-515-2239]]", (), ""),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|+1-312-515-2239]]", (), ""),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|1 (312) 515-2239]]", (), ""),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|312-515-2239]]", (), ""),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|(312) 515-2239]]", (), ""),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|(312)515-2239]]", (), ""),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|312-515-2239 x12]]", (), "extension"),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|312-515-2239 ext. 12]]", (), "extension"),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|312-515-2239 ext.12]]", (), "extension"),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|+47 21 30 85 99]]", (), "Norway"),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|+45 69 19 88 56]]", (), "Denmark"),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|+46 852 503 499]]", (), "Sweden"),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|+31 619 837 236]]", (), "Netherlands"),
    (S_PHONE, "My phone number is [[CN_MOBILE_PHONE|+86 135 3727 4136]]", (), "mainland mobile"),
    (S_PHONE, "My phone number is [[PHONE_NUMBER|+61267881324]]", (), "Australia"),
    (S_PHONE, "Call me on my cell [[PHONE_NUMBER|312.714.8142]] or in my office [[PHONE_NUMBER|773.415.7432]]", (),
     "two dotted numbers"),
    (S_CARD, "My credit card is [[BANK_CARD|378282246310005]].", (), "Amex"),
    (S_CARD, "My credit card is [[BANK_CARD|371449635398431]].", (), "Amex"),
    (S_CARD, "My credit card is [[BANK_CARD|378734493671000]].", (), "Amex corporate"),
    (S_CARD, "My credit card is [[BANK_CARD|30569309025904]].", (), "Diners"),
    (S_CARD, "My credit card is [[BANK_CARD|38520000023237]].", (), "Diners"),
    (S_CARD, "My credit card is [[BANK_CARD|6011111111111117]].", (), "Discover"),
    (S_CARD, "My credit card is [[BANK_CARD|6011000990139424]].", (), "Discover"),
    (S_CARD, "My credit card is [[BANK_CARD|3530111333300000]].", (), "JCB"),
    (S_CARD, "My credit card is [[BANK_CARD|3566002020360505]].", (), "JCB"),
    (S_CARD, "My credit card is [[BANK_CARD|5555555555554444]].", (), "Mastercard"),
    (S_CARD, "My credit card is [[BANK_CARD|5105105105105100]].", (), "Mastercard"),
    (S_CARD, "My credit card is [[BANK_CARD|4111111111111111]].", (), "Visa"),
    (S_CARD, "My credit card is [[BANK_CARD|4012888888881881]].", (), "Visa"),
    (S_CARD, "[[BANK_CARD|4012888888881881]].", (), "start of string"),
    (S_SSN, "My social security number is [[US_SSN|726-60-2033]]", (), ""),
    (S_SSN, "My social security number is [[US_SSN|109-99-6000]]", (), ""),
    (S_SSN, "My social security number is [[US_SSN|109.99.6000]]", (), "dots"),
    (S_SSN, "My social security number is [[US_SSN|109 99 6000]]", (), "spaces"),
    (S_ADDRESS, "this is a [[ADDRESS|59 High Road, East Finchley London, N2 8AW]] test string", (), "en_GB"),
    (S_ADDRESS, "this is a [[ADDRESS|25 Fenchurch Avenue, London EC3M 5AD]] test string", (), "en_GB"),
    (S_ADDRESS, "this is a [[ADDRESS|12 Street Road, London N1P 2FZ]] test string", (), "en_GB"),
    (S_ADDRESS, "this is a [[ADDRESS|99 New London Road,\nChelmsford, CM2 0PP]] test string", (), "en_GB, two lines"),
    (S_DOB, "My date of birth is [[DATE_OF_BIRTH|17/06/1976]].", (), ""),
    (S_DOB, "I was born [[DATE_OF_BIRTH|15th June 1991]]", (), ""),
    (S_DOB, "DOB: [[DATE_OF_BIRTH|02.12.1979]]", (), "scrubadub's TODO: the full date"),
    (S_DOB, "The claimant's, d.o.b. is [[DATE_OF_BIRTH|4 June 1976]]", (), ""),
    (S_DOB, "[[DATE_OF_BIRTH|1985-01-01]] is my birthday.", (), ""),
    # --- issue 16 examples ---
    (ISSUE, "400-800-8888", ("PHONE_NUMBER", "CN_LANDLINE_PHONE"), "business hotline"),
    (ISSUE, "客服热线400-800-8888", ("PHONE_NUMBER", "CN_LANDLINE_PHONE"), "business hotline"),
    (ISSUE, "Foo :: Bar", ("IP_ADDRESS",), ""),
    (ISSUE, "map :: a -> b", ("IP_ADDRESS",), ""),
    (ISSUE, "ts=1748503543012", ("BANK_CARD",), "13-digit epoch ms, Luhn-valid by chance"),
    (ISSUE, "车牌[[CN_LICENSE_PLATE|豫N-11039]]", (), "hyphenated plate"),
    (ISSUE, "[[CN_LICENSE_PLATE|豫N-11039]]", (), ""),
    (ISSUE, "Israel office [[PHONE_NUMBER|09-7625400]]", (), ""),
    (ISSUE, "Tokyo: [[PHONE_NUMBER|090-1234-5678]]", (), ""),
    (ISSUE, "London office [[PHONE_NUMBER|020 7946 0958]]", (), ""),
    (ISSUE, "Athens [[PHONE_NUMBER|+30 21 0 1234567]]", (), ""),
    (ISSUE, "call [[PHONE_NUMBER|212.555.0100 x123]]", (), "extension"),
    (ISSUE, "call [[PHONE_NUMBER|212 555 0100]] today", (), ""),
    (ISSUE, "电话 [[CN_LANDLINE_PHONE|(0)10-8888 6666]]", (), ""),
    (ISSUE, "Phone: [[PHONE_NUMBER|453.872.2671x65823]]", (), "Faker en_US shape"),
    (ISSUE, "Phone: [[PHONE_NUMBER|(286)638-4543]]", (), "Faker en_US shape"),
    (ISSUE, "Phone: [[PHONE_NUMBER|001-286-638-4543]]", (), "Faker en_US shape"),
    (ISSUE, "Ship to [[ADDRESS|3161 James Plains Suite 137, North Jenniferstad, WV 15849]]", (), "Faker en_US"),
    (ISSUE, "Mail to [[ADDRESS|PO Box 4512, Springfield, IL 62704]]", (), "PO box"),
    (ISSUE, "Send it to [[ADDRESS|PSC 1234, Box 5678, APO AE 09876]]", (), "military"),
    (ISSUE, "Send it to [[ADDRESS|USNS Smith, FPO AP 12345]]", (), "military"),
    (ISSUE, "Card [[BANK_CARD|4111 1111 1111 1111]] 2024", (), "expiry year after the card"),
    (ISSUE, "IP: [[IP_ADDRESS|192.168.1.1]].", (), ""),
    (ISSUE, "peer [[IP_ADDRESS|203.0.113.1]]:40000", (), "port"),
    (ISSUE, "[[[IP_ADDRESS|2001:db8::1]]]:8080", (), ""),
    (ISSUE, "iface [[IP_ADDRESS|fe80::1%eth0]] up", (), ""),
    (ISSUE, "net [[IP_ADDRESS|192.168.1.0/24]] allowed", (), ""),
    (ISSUE, "login at http://[[IP_ADDRESS|198.51.100.1]]/login", (), ""),
    (ISSUE, "From: John <[[EMAIL_ADDRESS|john.smith@example.com]]>", (), ""),
    (ISSUE, "<a href=\"mailto:[[EMAIL_ADDRESS|sales@example.org]]\">mail</a>", (), ""),
    (ISSUE, "contact [[EMAIL_ADDRESS|a@xn--d1acufc.xn--p1ai]]", (), "IDN punycode TLD"),
    (ISSUE, "SSN [[US_SSN|078.05.1123]]", (), ""),
    (ISSUE, "办公电话 [[CN_LANDLINE_PHONE|010-8000 6000]]", (), ""),
    (ISSUE, "office [[PHONE_NUMBER|212.555.1000]]", (), ""),
    # --- Chinese, written here from ENTITIES.md ---
    (ZH, "身份证号[[CN_RESIDENT_ID|44030419900307123X]]", (), ""),
    (ZH, "证件号码：[[CN_RESIDENT_ID|310115200108150641]]，请核对", (), ""),
    (ZH, "ID [[CN_RESIDENT_ID|510107200511300053]] on file", (), "English sentence"),
    (ZH, "身份证 [[CN_RESIDENT_ID|11010519491231002x]]", (), "lower-case x"),
    (ZH, "身份证号440304199002301232", ("CN_RESIDENT_ID",), "no Feb 30"),
    (ZH, "身份证号990304199003071237", ("CN_RESIDENT_ID",), "province 99"),
    (ZH, "身份证号110105194912310021", ("CN_RESIDENT_ID",), "check should be X"),
    (ZH, "永居证[[CN_RESIDENT_ID|910000200010101237]]", (), "2023 permanent resident card"),
    (ZH, "手机[[CN_MOBILE_PHONE|13812345678]]", (), ""),
    (ZH, "请拨打 [[CN_MOBILE_PHONE|+86 138-1234-5678]] 联系", (), ""),
    (ZH, "电话：[[CN_MOBILE_PHONE|0086 13812345678]]", (), ""),
    (ZH, "tel [[CN_MOBILE_PHONE|+8613912345678]]", (), ""),
    (ZH, "联系方式 [[CN_MOBILE_PHONE|139 1234 5678]]", (), ""),
    (ZH, "联系方式 [[CN_MOBILE_PHONE|86-150-1234-5678]]", (), ""),
    (ZH, "订单号 12012345678 已发货", ("CN_MOBILE_PHONE",), "12x is not a mobile prefix"),
    (ZH, "座机 [[CN_LANDLINE_PHONE|010-80006000]]", (), ""),
    (ZH, "座机 [[CN_LANDLINE_PHONE|0755-26781234]]", (), ""),
    (ZH, "电话 [[CN_LANDLINE_PHONE|(021)62781234]]", (), ""),
    (ZH, "服务热线 95588", ("CN_LANDLINE_PHONE", "PHONE_NUMBER"), "bank hotline"),
    (ZH, "市民热线12345", ("CN_LANDLINE_PHONE", "PHONE_NUMBER"), "government hotline"),
    (ZH, "免费电话 800-820-8820", ("CN_LANDLINE_PHONE", "PHONE_NUMBER"), "800 business number"),
    (ZH, "车牌号[[CN_LICENSE_PLATE|京A12345]]", (), ""),
    (ZH, "新能源车[[CN_LICENSE_PLATE|粤B·D12345]]", (), "new-energy plate with ·"),
    (ZH, "车牌 [[CN_LICENSE_PLATE|沪C 8K9J2]]", (), "space"),
    (ZH, "统一社会信用代码[[CN_USCC|91110000600037341L]]", (), ""),
    (ZH, "个体户 [[CN_USCC|92310115MA1GT3K581]]", (), ""),
    (ZH, "信用代码 [[CN_USCC|91440300123456788M]] 已登记", (), ""),
    (ZH, "护照号[[CN_PASSPORT|E12345678]]", (), ""),
    (ZH, "passport no. [[CN_PASSPORT|EA1234567]]", (), ""),
    (ZH, "港澳通行证[[CN_TRAVEL_PERMIT|C12345678]]", (), ""),
    (ZH, "银行卡号 [[BANK_CARD|6222 0210 0112 3456 789]]", (), "19 digits grouped by four"),
    (ZH, "请转账到 [[BANK_CARD|6217 0012 3456 7890 122]] 谢谢", (), ""),
    (ZH, "卡号[[BANK_CARD|6258071234567896]]，户名[[PERSON_NAME|张三]]", (), ""),
    (ZH, "我的卡是 [[BANK_CARD|4367 4212 3456 7896]]，有效期 12/28", (), "4-4-4-4 in a sentence"),
    (ZH, "订单编号 6258071234567897", ("BANK_CARD",), "Luhn fails"),
    (ZH, "联系人[[PERSON_NAME|张伟]]，电话[[CN_MOBILE_PHONE|13912345678]]", (), ""),
    (ZH, "[[PERSON_NAME|欧阳娜娜]]已签收", (), "compound surname"),
    (ZH, "经办人：[[PERSON_NAME|王秀英]]", (), ""),
    (ZH, "收货地址：[[ADDRESS|北京市朝阳区建国路88号SOHO现代城2号楼1单元501室]]", (), ""),
    (ZH, "家住[[ADDRESS|广东省深圳市南山区科技园南路15号]]", (), ""),
    (ZH, "[[ADDRESS|上海市浦东新区张江镇郭守敬路498号]]", (), ""),
    (ZH, "版本 2.3.4.5 已发布", ("IP_ADDRESS",), "four-part version"),
    (ZH, "时间戳 1748503543012", ("BANK_CARD", "CN_MOBILE_PHONE"), "epoch ms"),
    (ZH, "金额 ¥13,800.00 元", ("BANK_CARD", "CN_MOBILE_PHONE"), "price"),
    (ZH, "邮箱 [[EMAIL_ADDRESS|zhang.wei@163.com]]", (), ""),
    (ZH, "邮箱：[[EMAIL_ADDRESS|wangfang@qq.com]]。", (), "full-width punctuation"),
]


def all_cases() -> list[Case]:
    """Every case, parsed."""
    return [parse(source, marked, focus, note) for source, marked, focus, note in _RAW]
