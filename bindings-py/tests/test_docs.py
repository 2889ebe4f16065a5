"""Every public name of the package carries a docstring."""

import inspect

import wxface
import wxface.aio
import wxface.errors
import wxface_sandbox.pytest_plugin


def _public(obj):
    return [n for n in dir(obj) if not n.startswith("_")]


def test_every_public_name_is_documented():
    missing = []
    for name in wxface.__all__:
        obj = getattr(wxface, name)
        if name == "__version__":
            continue
        if not (getattr(obj, "__doc__", None) or "").strip():
            missing.append(name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for attr in _public(obj):
                member = inspect.getattr_static(obj, attr)
                if not (getattr(member, "__doc__", None) or "").strip():
                    missing.append(f"{name}.{attr}")
    assert missing == []


def test_modules_are_documented():
    for m in (wxface, wxface.aio, wxface.errors, wxface_sandbox.pytest_plugin):
        assert (m.__doc__ or "").strip(), m.__name__
    assert set(wxface.errors.__all__) <= set(wxface.__all__)


def test_the_web_and_options_modules_are_documented():
    import wxface.options
    import wxface.web

    missing = []
    for m in (wxface.web, wxface.options):
        assert (m.__doc__ or "").strip(), m.__name__
        for name in m.__all__:
            obj = getattr(m, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                if not (obj.__doc__ or "").strip():
                    missing.append(f"{m.__name__}.{name}")
                for attr in _public(obj) if inspect.isclass(obj) else []:
                    member = inspect.getattr_static(obj, attr)
                    if callable(member) and not (getattr(member, "__doc__", None) or "").strip():
                        missing.append(f"{m.__name__}.{name}.{attr}")
    assert missing == []
