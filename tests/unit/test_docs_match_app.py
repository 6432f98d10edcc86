"""The guides must not call a feature missing that the app has (issue 13: the user guide
said challenge e-mails and identity checks were "not available yet", the workflow README
that the mailbox and identity workflows were unused). Each feature is checked against the
workflow definitions that implement it; a sentence that names the feature and says it is
missing fails the test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("docs/user-guide.md", "workflows/README.md", "README.md")
MISSING = re.compile(
    r"not (?:yet )?available|available later|cannot be \w+ (?:in the portal )?yet|"
    r"\bunused\b|not used (?:yet|by)|not (?:yet )?implemented|coming soon|\bplanned\b",
    re.I)


def triggers(workflow: str) -> set[str]:
    definition = yaml.safe_load((ROOT / "workflows" / f"{workflow}.yaml").read_text())
    return {t["trigger"] for t in definition["transitions"]}


# feature: (words that name it in the guides, is it there?)
FEATURES = {
    "challenge e-mails": (r"challenge|network contact|Netzkontakt|institute address",
                          lambda: {"send_challenge", "redeem"} <= triggers("mailbox")),
    "identity checks": (r"identity (?:check|verification)|Identitätsprüfung|in-person",
                        lambda: {"verify", "reject"} <= triggers("identity")),
    "mailbox workflow": (r"mailbox\.yaml|mailbox workflow", lambda: bool(triggers("mailbox"))),
    "identity workflow": (r"identity\.yaml|identity workflow",
                          lambda: bool(triggers("identity"))),
}


def false_claims(text: str) -> list[tuple[str, str]]:
    """(feature, sentence) for each sentence that says something is missing while it, or
    the sentence before it ("… a challenge e-mail. This is not available yet."), names a
    feature the app has."""
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        sentences = re.split(r"(?<=[.!?*])\s+", " ".join(paragraph.split()))
        for before, sentence in zip(["", *sentences[:-1]], sentences, strict=True):
            if not MISSING.search(sentence):
                continue
            for feature, (words, present) in FEATURES.items():
                if re.search(words, f"{before} {sentence}", re.I) and present():
                    found.append((feature, sentence))
    return found


@pytest.mark.parametrize("doc", DOCS)
def test_guides_do_not_call_present_features_missing(doc):
    assert false_claims((ROOT / doc).read_text()) == []


def test_the_check_finds_the_claims_the_issue_quoted():
    old_guide = ("Other addresses are meant to be added by your institute's network contact "
                 "(**Netzkontakt**). The network contact would then send you a challenge "
                 "e-mail to confirm. **This is not available yet.** If you see …\n\n"
                 "The in-person check (**Identitätsprüfung**) cannot be recorded in the "
                 "portal yet. Ask your RA how to proceed.")
    old_readme = "`mailbox.yaml` and `identity.yaml` are unused so far."
    assert {f for f, _s in false_claims(old_guide)} == {"challenge e-mails", "identity checks"}
    assert {f for f, _s in false_claims(old_readme)} == {"mailbox workflow",
                                                         "identity workflow"}
