"""registry.scoring's includeme wires its sub-packages: the reply window is checked and the
request methods the supplier, contract and buyer pages' partials read are registered."""

from __future__ import annotations

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import IRequestExtensions

from registry.scoring.assessments.services import REPLY_WINDOW_SETTING

REQUEST_METHODS = {
    "supplier_scorecard",
    "contract_clocks",
    "supplier_clocks",
    "buyer_assessment_record",
}


def test_includeme_registers_the_partials_request_methods_and_the_reply_window() -> None:
    config = Configurator(settings={REPLY_WINDOW_SETTING: " 21 "})
    config.include("registry.scoring")
    config.commit()
    extensions = config.registry.getUtility(IRequestExtensions)
    assert set(extensions.methods) >= REQUEST_METHODS
    assert config.get_settings()[REPLY_WINDOW_SETTING] == 21


def test_includeme_refuses_a_bad_reply_window() -> None:
    config = Configurator(settings={REPLY_WINDOW_SETTING: "ninety"})
    with pytest.raises(ConfigurationError, match="whole number of days"):
        config.include("registry.scoring")
