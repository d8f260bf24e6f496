from __future__ import annotations

from django.test import RequestFactory

from mutualist.core.http import client_ip_behind_proxy


def test_it_takes_the_address_the_proxy_appended_not_one_the_client_forged():
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.2"
    )
    assert client_ip_behind_proxy(request) == "203.0.113.7"


def test_it_falls_back_to_the_connection_address_without_a_proxy_header():
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4")
    assert client_ip_behind_proxy(request) == "198.51.100.4"
