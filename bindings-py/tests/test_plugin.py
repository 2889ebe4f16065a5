"""The pytest plugin HIS teams use in their own suites."""

import importlib.metadata

import pytest

import wxface
import wxface_sandbox.pytest_plugin

pytest_plugins = ["pytester"]


def _registered() -> bool:
    eps = importlib.metadata.entry_points()
    group = eps.select(group="pytest11") if hasattr(eps, "select") else eps.get("pytest11", [])
    return any(ep.value == "wxface_sandbox.pytest_plugin" for ep in group)


def test_entry_point_is_registered():
    if not _registered():
        pytest.skip("wxface is not installed as a distribution (source-tree run)")
    assert _registered()


def test_fixtures_in_a_his_suite(pytester):
    pytester.makepyfile(
        test_his="""
        import wxface

        def test_registration(wxface_sandbox, wxface_client, wxface_kiosk):
            face_sid = wxface_kiosk.consented_face_sid(wxface_client)
            who = wxface_client.fetch_real_name(face_sid)
            assert who == wxface_sandbox.identities[0].real_name
            wxface_sandbox.faults.inject("users", "system_error", count=5)

        def test_faults_do_not_leak_between_tests(wxface_sandbox, wxface_client):
            assert wxface_sandbox.faults.rules() == []
            kiosk = wxface_sandbox.kiosk(person="patient-e")
            who = wxface_client.fetch_real_name(kiosk.consented_face_sid(wxface_client))
            assert who.credential_type_label == "护照"

        SEEN = []

        def test_same_sandbox_for_the_session(wxface_sandbox):
            SEEN.append(wxface_sandbox.url)
            assert wxface_sandbox.running

        def test_same_sandbox_again(wxface_sandbox):
            assert SEEN == [wxface_sandbox.url]
        """
    )
    args = ["-p", "no:cacheprovider"]
    if not _registered():
        args += ["-p", "wxface_sandbox.pytest_plugin"]
    result = pytester.runpytest_inprocess(*args)
    result.assert_outcomes(passed=4)


def test_sandbox_options_fixture_can_be_overridden(pytester):
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def wxface_sandbox_options():
            return {"padding": "oaep-sha1"}
        """
    )
    pytester.makepyfile(
        test_oaep="""
        def test_padding(wxface_sandbox, wxface_client):
            assert wxface_sandbox.credentials.padding == "oaep-sha1"
            face_sid = wxface_sandbox.kiosk().consented_face_sid(wxface_client)
            assert wxface_client.fetch_real_name(face_sid)
        """
    )
    args = ["-p", "no:cacheprovider"]
    if not _registered():
        args += ["-p", "wxface_sandbox.pytest_plugin"]
    pytester.runpytest_inprocess(*args).assert_outcomes(passed=1)


def test_plugin_module_documents_its_fixtures():
    doc = wxface_sandbox.pytest_plugin.__doc__
    for name in ("wxface_sandbox", "wxface_client", "wxface_kiosk", "wxface_sandbox_options"):
        assert name in doc
