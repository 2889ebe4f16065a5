"""RealName, masking and the GB 11643 check."""

import copy
import pickle

import pytest

import wxface

# The specimen number printed in GB 11643-1999 itself.
SPECIMEN = "11010519491231002X"


def test_masks():
    assert wxface.mask_name("张三") == "张*"
    assert wxface.mask_name("张小三") == "张*三"
    assert wxface.mask_name("欧阳小明") == "欧**明"
    assert wxface.mask_name("李") == "*"
    assert wxface.mask_name("") == ""
    assert wxface.mask_credential_id("110105194912311234") == "110***********1234"
    assert wxface.mask_credential_id("E1234567") == "E*****67"
    assert wxface.mask_credential_id("12345") == "****5"
    assert wxface.mask_credential_id("12345678") == "1*****78"
    assert wxface.mask_credential_id("南字第1234567号") == "南********7号"


def test_check_resident_id_accepts_the_specimen():
    assert wxface.check_resident_id(SPECIMEN) is None
    assert wxface.check_resident_id(SPECIMEN.lower()) is None
    assert wxface.is_resident_id(SPECIMEN)


@pytest.mark.parametrize(
    "number,reason",
    [
        ("1101051949123100", "length"),
        ("1101051949123100AX", "characters"),
        ("110105194902300021", "birth_date"),
        ("110105194912310021", "check_digit"),
    ],
)
def test_check_resident_id_names_the_problem_not_the_number(number, reason):
    with pytest.raises(wxface.InvalidInputError) as e:
        wxface.check_resident_id(number)
    assert e.value.code == "invalid_input"
    assert e.value.reason == reason
    assert e.value.field == "credential_id"
    assert number not in str(e.value) and number[:6] not in str(e.value)
    assert not wxface.is_resident_id(number)


def test_every_single_digit_change_fails():
    for i in range(17):
        d = SPECIMEN[i]
        changed = SPECIMEN[:i] + ("0" if d == "9" else str(int(d) + 1)) + SPECIMEN[i + 1 :]
        assert not wxface.is_resident_id(changed), i


def test_realname_is_masked_everywhere_but_explicit_attributes():
    r = wxface.RealName("张小三", 1, SPECIMEN)
    shown = [repr(r), str(r), f"{r}", "%s" % r, "%r" % r, repr([r]), repr({"p": r})]
    for s in shown:
        assert "张小三" not in s
        assert SPECIMEN not in s
        assert "0519491231" not in s
    assert repr(r) == "RealName(name='张*三', credential_type=1, credential_id='110***********002X')"
    assert str(r) == "张*三 (身份证 110***********002X)"
    assert r.expose_name() == "张小三"
    assert r.expose_credential_id() == SPECIMEN
    assert r.masked_name == "张*三"
    assert r.masked_credential_id == "110***********002X"
    assert r.credential_type == 1
    assert r.credential_type_label == "身份证"
    assert r.masked() == {"name": "张*三", "credential_type": 1, "credential_id": "110***********002X"}


def test_realname_is_frozen_unhashable_and_unpicklable():
    r = wxface.RealName("张小三", 1, SPECIMEN)
    with pytest.raises(AttributeError):
        r.masked_name = "李四"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        r.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        hash(r)
    with pytest.raises(TypeError):
        pickle.dumps(r)
    with pytest.raises(TypeError):
        copy.deepcopy(r)
    assert not hasattr(r, "__dict__")
    assert r == wxface.RealName("张小三", 1, SPECIMEN)
    assert r != wxface.RealName("张小四", 1, SPECIMEN)
    assert r != "张小三"


def test_realname_validates_like_decrypted_values():
    with pytest.raises(wxface.InvalidInputError) as e:
        wxface.RealName("张三", 1, "110105194912310021")
    assert "110105" not in str(e.value) and e.value.field == "credential_id"
    with pytest.raises(wxface.InvalidInputError) as e:
        wxface.RealName("\x01\x02", 2, "E1234567")
    assert e.value.field == "real_name"
    p = wxface.RealName("测试患者戊", 2, "E99990001")
    assert p.credential_type_label == "护照"
    assert p.masked_credential_id == "E******01"


def test_credential_type_labels():
    labels = [wxface.credential_type_label(c) for c in range(1, 12)]
    assert labels[0] == "身份证" and labels[1] == "护照" and labels[10] == "其他证件"
    assert len(set(labels)) == 11
    assert wxface.credential_type_label(99) == "未知证件"
