#!/usr/bin/env python3
"""Generate the credential-number vectors with Python's standard library only:
check characters (GB 11643-1999, GB 32100-2015) are computed here, the
plausibility rules and the masking rule are written out again from
SECURITY.md ("Credential numbers: plausibility and masking per type"), and
every hand-written verdict below is asserted against them. No wxface code is
involved. Run from the repository root:

    python3 tests/vectors/gen/gen_realname.py

It rewrites tests/vectors/realname/credentials.json. The Rust tests only read it.

Every number is plainly fictitious: the GB 11643 specimen printed in the
standard itself (11010519491231002X), resident-style numbers born in the
1800s, patterned passport and permit numbers (12345678, E12345678 ...), and
unified social credit codes with zero-filled organisation parts.
"""
import json
import os
import unicodedata

OUT = os.path.join(os.path.dirname(__file__), "..", "realname")

# --- check characters -------------------------------------------------------

GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
GB11643_CHARS = "10X98765432"


def gb11643(first17):
    """ISO 7064 MOD 11-2 as GB 11643-1999 writes it: sum(a_i * 2^(18-i) mod 11)."""
    assert len(first17) == 17 and first17.isdigit()
    # The weights are 2^(17-i) mod 11; recompute them rather than trust the table.
    assert [pow(2, 17 - i, 11) for i in range(17)] == GB11643_WEIGHTS
    return GB11643_CHARS[sum(int(d) * w for d, w in zip(first17, GB11643_WEIGHTS)) % 11]


# GB 32100-2015: 31 characters (no I, O, S, V, Z), weights 3^i mod 31.
GB32100_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def gb32100(first17):
    assert len(first17) == 17
    total = sum(GB32100_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return GB32100_CHARS[(31 - total % 31) % 31]


def resident(first17):
    return first17 + gb11643(first17)


def uscc(first17):
    return first17 + gb32100(first17)


def bump(s, i):
    """The same number with the digit at index i changed (a typo)."""
    c = s[i]
    n = "0" if c == "9" else str(int(c) + 1)
    return s[:i] + n + s[i + 1 :]


def wrong_check(s, alphabet):
    """The same number with a wrong last character."""
    right = s[-1]
    for c in alphabet:
        if c != right:
            return s[:-1] + c
    raise AssertionError


# --- the rules, written out again -------------------------------------------

MAX_CHARS = 32


def is_ascii_digit(c):
    return "0" <= c <= "9"


def is_fullwidth_digit(c):
    return "\uff10" <= c <= "\uff19"


def is_han(c):
    return "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf"


def is_ascii_alnum(c):
    return c.isascii() and c.isalnum()


def resident_ok(s):
    if len(s) != 18 or not s[:17].isascii() or not s[:17].isdigit():
        return False
    if not (is_ascii_digit(s[17]) or s[17] in "Xx"):
        return False
    y, m, d = int(s[6:10]), int(s[10:12]), int(s[12:14])
    if not 1800 <= y <= 2200 or not 1 <= m <= 12:
        return False
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    if not 1 <= d <= days:
        return False
    return gb11643(s[:17]) == s[17].upper()


def resident_shaped(s):
    return len(s) == 18 and s[:17].isascii() and s[:17].isdigit() and (is_ascii_digit(s[17]) or s[17] in "Xx")


def uscc_ok(s):
    u = s.upper()
    if len(u) != 18 or not all(c in GB32100_CHARS for c in u):
        return False
    if not u[2:8].isdigit():
        return False
    return gb32100(u[:17]) == u[17]


def generic_ok(s):
    if not 4 <= len(s) <= MAX_CHARS:
        return False
    allowed = lambda c: is_ascii_alnum(c) or is_han(c) or is_fullwidth_digit(c) or c in "-/()（） "
    if not all(allowed(c) for c in s) or "  " in s:
        return False
    return any(is_ascii_digit(c) or is_fullwidth_digit(c) for c in s)


def valid(ty, s):
    if len(s) == 0 or len(s) > MAX_CHARS:
        return False
    if any(unicodedata.category(c) == "Cc" or c == "\ufffd" for c in s):
        return False
    if s.strip() != s:
        return False
    if ty in (1, 6):
        return resident_ok(s)
    if ty == 2:
        return 5 <= len(s) <= 17 and all(is_ascii_alnum(c) for c in s) and any(is_ascii_digit(c) for c in s)
    if ty in (3, 4, 8):
        ok_char = lambda c: is_han(c) or is_ascii_digit(c) or is_fullwidth_digit(c) or (c.isascii() and c.isupper()) or c in "-()（）"
        digits = sum(1 for c in s if is_ascii_digit(c) or is_fullwidth_digit(c))
        return 4 <= len(s) <= 24 and all(ok_char(c) for c in s) and digits >= 4
    if ty == 5:
        return s[0] in "HMhm" and len(s) in (9, 11) and s[1:].isascii() and s[1:].isdigit()
    if ty == 9:
        return taiwan_ok(s)
    if ty == 7:
        if len(s) == 18:
            return resident_ok(s)
        return 6 <= len(s) <= 12 and s.isascii() and s.isdigit()
    if ty == 10:
        return uscc_ok(s)
    if ty == 11:
        if resident_shaped(s):
            return resident_ok(s)
        return generic_ok(s)
    return generic_ok(s)  # codes outside 1-11


def taiwan_ok(s):
    n = 0
    while n < len(s) and is_ascii_digit(s[n]):
        n += 1
    digits, rest = s[:n], s[n:]
    if rest == "":
        return len(digits) in (8, 10)
    if not 7 <= len(digits) <= 9:
        return False
    if rest[0] in "(（":
        close = ")" if rest[0] == "(" else "）"
        inner = rest[1:-1]
        return rest[-1] == close and 1 <= len(inner) <= 2 and all(c.isascii() and (c.isdigit() or c.isupper()) for c in inner)
    return 1 <= len(rest) <= 2 and all(c.isascii() and c.isupper() for c in rest)


def mask(s):
    """Shorter than 4: nothing shown; 4-5: the last character; 6-14: the first
    and the last two; 15 or more: the first three and the last four. One `*`
    per hidden character; characters are code points."""
    n = len(s)
    if n <= 3:
        head, tail = 0, 0
    elif n <= 5:
        head, tail = 0, 1
    elif n < 15:
        head, tail = 1, 2
    else:
        head, tail = 3, 4
    assert head + tail <= n / 2
    return s[:head] + "*" * (n - head - tail) + s[n - tail :]


# --- the vectors -------------------------------------------------------------

SPECIMEN = "11010519491231002X"  # printed in GB 11643-1999


def cases():
    """(credential_type, number, result, comment, flags) in order."""
    r1 = resident("11010518000101001")
    r2 = resident("44030518990228123")
    r3 = resident("65010218500615033")
    # Make sure one of the built numbers ends in X and one in a digit.
    assert SPECIMEN.endswith("X") and gb11643(SPECIMEN[:17]) == "X"
    xs = [resident(f"3101041888112003{i}") for i in range(10)]
    r_x = next(x for x in xs if x.endswith("X"))
    c = []

    def add(ty, s, ok, comment, flags=()):
        c.append((ty, s, "valid" if ok else "invalid", comment, list(flags)))

    for ty, label in ((1, "ID card"), (6, "temporary ID card")):
        add(ty, SPECIMEN, True, f"{label}: the GB 11643-1999 specimen", ["public"])
        add(ty, SPECIMEN.lower(), True, f"{label}: lower-case x accepted as X")
        add(ty, r1, True, f"{label}: check digit computed by the generator")
        add(ty, r2, True, f"{label}: born on 28 February")
        add(ty, r_x, True, f"{label}: check character X")
        add(ty, wrong_check(r1, "0123456789X"), False, f"{label}: wrong check digit")
        add(ty, bump(r3, 3), False, f"{label}: one digit changed")
        add(ty, "110105190002290012", False, f"{label}: 29 February of a non-leap year")
        add(ty, r1[:6] + r1[8:17], False, f"{label}: 15-digit first-generation number")
        add(ty, SPECIMEN[:17] + "Y", False, f"{label}: last character neither digit nor X")
        add(ty, r1[:17], False, f"{label}: 17 characters")
        add(ty, "１１０１０５１９４９１２３１００２Ｘ", False, f"{label}: full-width digits")
        add(ty, " " + SPECIMEN, False, f"{label}: leading space")
    assert resident_ok(r3)

    # 2 passport
    for s, com in (("E12345678", "Chinese e-passport, E + 8 digits"), ("EA1234567", "Chinese e-passport, E + letter + 7 digits"),
                   ("G12345678", "Chinese passport, G + 8 digits"), ("X1234567", "foreign passport, 8 characters"),
                   ("123456789", "foreign passport, digits only"), ("AB12345", "foreign passport, 7 characters"),
                   ("C01X00T47", "foreign passport, mixed letters and digits"), ("e12345678", "lower-case letter"),
                   ("E1234567890123456", "17 characters")):
        add(2, s, True, f"passport: {com}")
    for s, com in (("E123", "4 characters"), ("E12345678901234567", "18 characters"),
                   ("E-1234567", "hyphen"), ("E 12345678", "space"), ("护照E1234567", "Chinese characters"),
                   ("PASSPORT", "no digit"), ("E1234567\u0000", "NUL"), ("E12\ufffd45678", "U+FFFD")):
        add(2, s, False, f"passport: {com}")

    # 3, 4, 8: numbers with Chinese characters
    for ty, label, good in (
        (3, "military officer card", ("南字第1234567号", "军字第2001988号", "政字第20230001号", "后字第０１２３４５６号")),
        (4, "soldier card", ("士字第1234567号", "北字第7654321号", "兵字第12345号")),
        (8, "police officer card", ("123456", "京公警字第012345号", "警字第1234567号")),
    ):
        for s in good:
            add(ty, s, True, f"{label}: {'digits only' if s.isdigit() else 'Chinese characters and digits'}")
        add(ty, "南字第123号", False, f"{label}: fewer than 4 digits")
        add(ty, "南字第 1234567号", False, f"{label}: space")
        add(ty, "南字第1234567号\u0007", False, f"{label}: control character")
        add(ty, "南字第1234567号\ufffd", False, f"{label}: U+FFFD")
        add(ty, "南字第1234567号😀", False, f"{label}: emoji")
        add(ty, "南字第1234567号" + "字" * 14, False, f"{label}: 25 characters")

    # 5 home-return permit
    for s, com in (("H12345678", "H + 8 digits"), ("M12345678", "M + 8 digits"), ("H1234567801", "older form, H + 10 digits"),
                   ("M1234567802", "older form, M + 10 digits")):
        add(5, s, True, f"home-return permit: {com}")
    for s, com in (("H1234567", "H + 7 digits"), ("H123456789", "H + 9 digits"), ("A12345678", "other letter"),
                   ("12345678", "no letter"), ("H1234567X", "letter among the digits"), ("H 12345678", "space")):
        add(5, s, False, f"home-return permit: {com}")

    # 9 Taiwan compatriot permit
    for s, com in (("12345678", "8 digits (2015 card)"), ("00000001", "8 digits with leading zeros"),
                   ("1234567890", "10 digits (older booklet)"), ("12345678(B)", "older form, parenthesised suffix"),
                   ("1234567(B)", "older form, 10 characters with parenthesised suffix"),
                   ("123456789A", "older form, letter suffix"), ("12345678（B）", "full-width parentheses")):
        add(9, s, True, f"Taiwan compatriot permit: {com}")
    for s, com in (("1234567", "7 digits"), ("123456789", "9 digits"), ("12345678901", "11 digits"),
                   ("T12345678", "letter prefix"), ("12345678(B", "unclosed parenthesis"), ("12345678()", "empty suffix"),
                   ("12345678 ", "trailing space")):
        add(9, s, False, f"Taiwan compatriot permit: {com}")

    # 7 household register
    add(7, SPECIMEN, True, "household register: the holder's resident ID (specimen)", ["public"])
    add(7, r2, True, "household register: the holder's resident ID")
    add(7, "123456789", True, "household register: 9-digit household number")
    add(7, "000123", True, "household register: 6-digit household number")
    add(7, wrong_check(r2, "0123456789X"), False, "household register: 18 characters, wrong check digit")
    add(7, "12345", False, "household register: 5 digits")
    add(7, "1234567890123", False, "household register: 13 digits")
    add(7, "户12345678", False, "household register: Chinese character")
    add(7, r1[:6] + r1[8:17], False, "household register: 15-digit first-generation ID")

    # 10 business licence (unified social credit code)
    published = "91350100M000100Y43"  # the sample code printed in GB 32100-2015
    assert gb32100(published[:17]) == published[17]
    u1, u2, u3 = uscc("91110105000000000"), uscc("92440300MA0000000"), uscc("12100000000000000")
    add(10, published, True, "business licence: the sample code of GB 32100-2015", ["public"])
    add(10, u1, True, "business licence: check character computed by the generator")
    add(10, u2, True, "business licence: individual business (92), letters in the organisation part")
    add(10, u3, True, "business licence: public institution (12)")
    add(10, u1.lower(), True, "business licence: lower case")
    add(10, wrong_check(u1, GB32100_CHARS), False, "business licence: wrong check character")
    add(10, u2[:17] + "I", False, "business licence: I is not in the GB 32100 alphabet")
    add(10, u1[:4] + "A" + u1[5:17] + gb32100(u1[:4] + "A" + u1[5:17]), False, "business licence: letter in the region code")
    add(10, "110105000000001", False, "business licence: 15-digit registration number (replaced by 2018)")
    add(10, u1[:17], False, "business licence: 17 characters")

    # 11 other
    pr_new = resident("91184018000101001")
    pr_new2 = resident("93115618991231002")
    rp_hk = resident("81000018000101002")
    add(11, pr_new, True, "other: foreigner's permanent residence card, 2023 form (9, province, nationality, birth date)")
    add(11, pr_new2, True, "other: foreigner's permanent residence card, 2023 form")
    add(11, "USA110018010100", True, "other: foreigner's permanent residence card, old form (3 letters + 12 digits)")
    add(11, rp_hk, True, "other: residence permit for Hong Kong residents (810000)")
    add(11, "AB1234567", True, "other: a foreign document number")
    add(11, "A123456(7)", True, "other: a number with a parenthesised check character")
    add(11, wrong_check(pr_new, "0123456789X"), False, "other: permanent residence card, wrong check digit")
    add(11, "91184018001301001" + gb11643("91184018001301001"), False, "other: permanent residence card, month 13")
    add(11, "ABCDEFGHI", False, "other: no digit")
    add(11, "A1\u0085B2", False, "other: C1 control character")
    add(11, "A1B2\ufffd", False, "other: U+FFFD")
    add(11, "1" * 33, False, "other: 33 characters")
    add(11, "A1\u200bB2", False, "other: zero-width space")

    # codes outside 1-11
    for ty in (0, 12, 99):
        add(ty, "X1234567", True, f"unknown code {ty}: letters and digits")
        add(ty, "字第1234号", True, f"unknown code {ty}: Chinese characters and digits")
        add(ty, "AB-123/4 (5)", True, f"unknown code {ty}: separators")
        add(ty, "A12", False, f"unknown code {ty}: 3 characters")
        add(ty, "ABCDEFG", False, f"unknown code {ty}: no digit")
        add(ty, "A1234\tB", False, f"unknown code {ty}: tab")
        add(ty, "A12  34", False, f"unknown code {ty}: double space")
        add(ty, "A" * 40 + "1", False, f"unknown code {ty}: 41 characters")
    for ty in range(1, 12):
        add(ty, "", False, "empty")
    return c


def mask_cases():
    """Masks of arbitrary strings, valid or not: every length from 1 to 34,
    Chinese characters counted as one."""
    out = []
    alphabet = "ABCDEFGHJKLMNPQRTUWXY0123456789abcdefghijk"
    for n in range(1, 35):
        s = alphabet[:n]
        out.append((s, f"{n} ASCII characters"))
    for s, com in (("南字第1234567号", "Chinese characters count as one"), ("张", "one Chinese character"),
                   ("第1号", "three characters"), ("一二三四五六七八九十一二三四五", "15 Chinese characters")):
        out.append((s, com))
    return out


def main():
    tc = iter(range(1, 100_000))
    tests = []
    for ty, s, result, comment, flags in cases():
        got = valid(ty, s)
        assert got == (result == "valid"), (ty, s, comment)
        tests.append({
            "tcId": next(tc), "comment": comment, "flags": flags,
            "inputs": {"credential_type": ty, "credential_id": s},
            "result": result,
            "expected": mask(s) if got else None,
        })
    # Coverage: 3 valid and 3 invalid per type 1-11.
    for ty in range(1, 12):
        v = sum(1 for t in tests if t["inputs"]["credential_type"] == ty and t["result"] == "valid")
        i = sum(1 for t in tests if t["inputs"]["credential_type"] == ty and t["result"] == "invalid")
        assert v >= 3 and i >= 3, (ty, v, i)
    masks = []
    for s, comment in mask_cases():
        m = mask(s)
        shown = sum(1 for a, b in zip(s, m) if b != "*")
        assert len(m) == len(s) and shown * 2 <= len(s)
        masks.append({"tcId": next(tc), "comment": comment, "flags": [], "inputs": {"credential_id": s}, "result": "valid", "expected": m})

    source = ("Written by tests/vectors/gen/gen_realname.py with Python's standard library only (no wxface code): "
              "GB 11643-1999 and GB 32100-2015 check characters computed by the script, the plausibility and "
              "masking rules of SECURITY.md re-implemented there and asserted against every verdict. "
              "The GB 11643 specimen and the GB 32100 sample code are flagged public; every other number is fictitious.")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "credentials.json"), "w", encoding="utf-8") as fh:
        json.dump({"source": source, "numberOfTests": len(tests) + len(masks), "testGroups": [
            {"type": "credential_id", "tests": tests},
            {"type": "credential_mask", "tests": masks},
        ]}, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    print(f"{len(tests)} credential vectors, {len(masks)} mask vectors")


if __name__ == "__main__":
    main()
