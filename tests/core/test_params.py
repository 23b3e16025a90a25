"""Reading params.yaml: a key given twice is refused, not silently overridden."""

import pytest

from reprise.core.errors import InputError
from reprise.core.params import load_params


def test_a_key_given_twice_in_a_section_is_refused_naming_it(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("uot:\n  tau1: 1.0\n  tau2: 100\n  tau2: 50\nselect:\n  k: 5\n")
    with pytest.raises(InputError, match=r"params.yaml: key 'tau2' appears twice in one section \(lines 3 and 4\); keep one of them"):
        load_params(path)
    path.write_text("uot:\n  tau1: 1.0\nselect:\n  tau1: 1.0\n")  # the same name in two sections is fine
    assert load_params(path) == {"uot": {"tau1": 1.0}, "select": {"tau1": 1.0}}
