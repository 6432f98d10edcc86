"""A request that fails inside the database still ends in the styled error page, after a
rollback, and the next request works."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from ra_console.core.db import get_session
from ra_console.models import MailboxAddress


@pytest.fixture
def failing_app(app):
    """The app plus a test-only page whose flush breaks a foreign key."""
    @app.route("/test-only/broken-write")
    def broken_write():
        session = get_session()
        session.add(MailboxAddress(mailbox_id=987654, address="x@example.org", display="x"))
        session.flush()  # IntegrityError: the transaction is now unusable
        return "unreachable"
    return app


def test_database_error_ends_in_the_styled_page_and_the_next_request_works(failing_app,
                                                                            browser):
    browser.login("erika")  # the page's helpers then read the signed-in person
    with pytest.raises(IntegrityError):  # the route really fails in the database
        with failing_app.test_request_context():
            failing_app.view_functions["broken_write"]()
    response = browser.get("/test-only/broken-write")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "Erika" in page  # the layout rendered, with the signed-in person read anew
    after = browser.get("/certificates")
    assert after.status_code == 200
    assert "You have no certificates or requests yet." in after.get_data(as_text=True)
