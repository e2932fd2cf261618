"""Evidence files on the workbook pages: sent once, described, and removable by an editor."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent, PilotRole
from portfolio.workbooks import models as m
from portfolio.workbooks.services import evidence_store
from tests.factories import PilotFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _data_url(pilot):
    return reverse("portfolio:workbook", args=[pilot.pk, "data"])


def _remove_url(pilot, stored):
    return reverse("portfolio:evidence_remove", args=[pilot.pk, stored.pk])


def _bias_file(pilot, owner, name="review.pdf", body=b"%PDF-1.4 findings"):
    stored = evidence_store(
        pilot=pilot, upload=SimpleUploadedFile(name, body), by=owner, field="upload"
    )
    m.DataWorkbook.objects.update_or_create(
        pilot=pilot, defaults={"bias_review_evidence_file": stored}
    )
    return stored


def test_a_stored_file_shows_its_name_size_uploader_and_date(pilot, owner, client_for):
    owner.first_name, owner.last_name = "Olivia", "Owner"
    owner.save()
    stored = _bias_file(pilot, owner, body=b"%PDF-" + b"x" * 2043)
    page = client_for(owner).get(_data_url(pilot)).content.decode()
    assert f'href="/pilots/{pilot.pk}/evidence/{stored.pk}/"' in page
    assert "review.pdf" in page and "2.0\xa0KB" in page
    assert "uploaded by Olivia Owner on" in page
    assert stored.uploaded_at.strftime("%Y-%m-%dT%H:%M") in page
    assert "Current file: download" not in page


def test_an_autosave_that_sent_a_file_gives_back_an_empty_file_input(pilot, owner, client_for):
    response = client_for(owner).post(
        _data_url(pilot),
        {"bias_review": "Done", "bias_review_evidence_upload": SimpleUploadedFile("r.txt", b"ok")},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    # The upload block is swapped: a fresh input (nothing to send again) and the stored file.
    assert 'id="field-bias_review_evidence_upload" hx-swap-oob="true"' in body
    assert "r.txt" in body
    assert m.EvidenceFile.objects.filter(pilot=pilot).count() == 1
    # A later autosave of another field sends no file and stores none.
    again = client_for(owner).post(_data_url(pilot), {"acceptance_criteria": "x"}, **HTMX)
    assert "field-bias_review_evidence_upload" not in again.content.decode()
    assert m.EvidenceFile.objects.filter(pilot=pilot).count() == 1


def test_a_refusal_message_goes_once_a_valid_file_is_uploaded(pilot, owner, client_for):
    client = client_for(owner)
    bad = client.post(
        _data_url(pilot),
        {"bias_review_evidence_upload": SimpleUploadedFile("tool.exe", b"MZ")},
        **HTMX,
    ).content.decode()
    assert "“.exe” are not accepted" in bad
    good = client.post(
        _data_url(pilot),
        {"bias_review_evidence_upload": SimpleUploadedFile("r.txt", b"ok")},
        **HTMX,
    ).content.decode()
    assert "not accepted" not in good
    assert 'id="err-bias_review_evidence_upload" aria-live="polite"></div>' in good


def test_owner_removes_a_file_audited_and_deleted_from_storage(
    pilot, owner, client_for, django_capture_on_commit_callbacks
):
    stored = _bias_file(pilot, owner)
    path = Path(stored.file.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(_remove_url(pilot, stored), {"phase": "data"})
    assert response.status_code == 302 and response.url == _data_url(pilot)
    assert not m.EvidenceFile.objects.filter(pk=stored.pk).exists()
    assert m.DataWorkbook.objects.get(pilot=pilot).bias_review_evidence_file is None
    assert not path.exists()
    event = AuditEvent.objects.get(action="evidence.remove")
    assert event.actor == owner and event.pilot_id == pilot.pk
    assert event.before["name"] == "review.pdf" and event.before["phase"] == "data"


def test_owner_removes_the_file_of_a_list_row_and_the_row_stays(pilot, owner, client_for):
    stored = evidence_store(
        pilot=pilot, upload=SimpleUploadedFile("t.csv", b"a,b"), by=owner, field="upload"
    )
    row = m.TestResult.objects.create(
        pilot=pilot, category="functional", status="passed", evidence_file=stored
    )
    response = client_for(owner).post(_remove_url(pilot, stored), {"phase": "deployment"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.evidence_file is None and row.status == "passed"


@pytest.mark.parametrize("actor", ["executive", "governance_lead", "operations_lead"])
def test_who_may_not_edit_the_workbook_may_not_remove_its_file(
    request, actor, pilot, owner, client_for
):
    if actor == "operations_lead":
        user = UserFactory(roles=["contributor"])
        PilotRole.objects.create(pilot=pilot, role="operations_lead", user=user)
    else:
        user = request.getfixturevalue(actor)
    stored = _bias_file(pilot, owner)
    response = client_for(user).post(_remove_url(pilot, stored), {"phase": "data"})
    assert response.status_code == 403
    assert m.EvidenceFile.objects.filter(pk=stored.pk).exists()
    assert not AuditEvent.objects.filter(action="evidence.remove").exists()


def test_an_outsider_cannot_see_a_confidential_pilots_file_to_remove(
    confidential_pilot, owner, outsider, client_for
):
    stored = _bias_file(confidential_pilot, owner)
    response = client_for(outsider).post(_remove_url(confidential_pilot, stored))
    assert response.status_code == 404
    assert m.EvidenceFile.objects.filter(pk=stored.pk).exists()


def test_a_file_of_another_pilot_or_none_at_all_is_not_found(pilot, owner, client_for):
    other = PilotFactory(owner=owner)
    stored = _bias_file(other, owner)
    client = client_for(owner)
    assert client.post(_remove_url(pilot, stored)).status_code == 404
    missing = reverse("portfolio:evidence_remove", args=[pilot.pk, 999_999])
    assert client.post(missing).status_code == 404
    assert client.get(_remove_url(other, stored)).status_code == 405
    assert m.EvidenceFile.objects.filter(pk=stored.pk).exists()


def test_a_removed_file_is_named_in_the_audit_trail(pilot, owner, client_for):
    stored = _bias_file(pilot, owner)
    client = client_for(owner)
    client.post(_remove_url(pilot, stored), {"phase": "data"})
    page = client.get(pilot.get_absolute_url()).content.decode()
    assert "Evidence file removed" in page and "review.pdf" in page


def test_a_workbook_holding_only_a_file_is_in_progress_on_the_task_list(pilot, owner, client_for):
    _bias_file(pilot, owner)
    page = client_for(owner).get(pilot.get_absolute_url()).content.decode()
    assert 'id="task-data-status">In progress' in page


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "autosave"])
def test_a_refused_upload_is_in_the_shared_error_summary(pilot, owner, client_for, htmx):
    response = client_for(owner).post(
        _data_url(pilot),
        {"bias_review": "Done", "bias_review_evidence_upload": SimpleUploadedFile("t.exe", b"MZ")},
        **(HTMX if htmx else {}),
    )
    body = response.content.decode()
    assert 'class="error-summary"' in body and "The other fields were saved." in body
    assert '<a href="#id_bias_review_evidence_upload">Bias review file: Files of type' in body
    assert 'aria-describedby="err-bias_review_evidence_upload" aria-invalid="true"' in body
    assert not m.EvidenceFile.objects.filter(pilot=pilot).exists()


def test_a_refused_row_upload_names_the_evidence_file(pilot, owner, client_for):
    response = client_for(owner).post(
        f"/pilots/{pilot.pk}/workbooks/deployment/lists/test_results/add/",
        {
            "test_results-category": "functional",
            "test_results-status": "passed",
            "test_results-evidence_upload": SimpleUploadedFile("t.exe", b"MZ"),
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Evidence file: Files of type" in body and "evidence_upload:" not in body
