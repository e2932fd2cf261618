"""Evidence files attached to a review request: checked and stored like workbook evidence,
audited, shown to the reviewers, refused to the wrong actor."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import AuditEvent
from gates import services
from gates.models import Review
from gates.services.reviews import MAX_EVIDENCE_FILES
from portfolio.workbooks.models import EvidenceFile

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _post(client, pilot, *files, **extra):
    return client.post(
        f"/gates/pilots/{pilot.pk}/request/",
        {"note": "See files", "evidence_links": "", "evidence_files": list(files), **extra},
    )


def test_owner_attaches_files_and_reviewers_see_and_download_them(
    client_for, ready_pilot, owner, governance_lead
):
    response = _post(
        client_for(owner),
        ready_pilot,
        SimpleUploadedFile("test-report.pdf", PDF),
        SimpleUploadedFile("results.csv", b"metric,value\nf1,0.9\n"),
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert sorted(f.name for f in review.evidence_files.all()) == ["results.csv", "test-report.pdf"]
    event = AuditEvent.objects.get(action="review.request")
    assert sorted(f["name"] for f in event.after["evidence_files"]) == [
        "results.csv",
        "test-report.pdf",
    ]
    html = client_for(governance_lead).get(f"/gates/reviews/{review.pk}/").content.decode()
    stored = review.evidence_files.get(name="test-report.pdf")
    assert f'href="/pilots/{ready_pilot.pk}/evidence/{stored.pk}/"' in html
    assert "test-report.pdf" in html and "uploaded by" in html
    download = client_for(governance_lead).get(f"/pilots/{ready_pilot.pk}/evidence/{stored.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_a_refused_file_leaves_no_review_and_no_file(client_for, ready_pilot, owner):
    response = _post(
        client_for(owner),
        ready_pilot,
        SimpleUploadedFile("fine.pdf", PDF),
        SimpleUploadedFile("tool.exe", b"MZ"),
    )
    assert response.status_code == 400
    assert "are not accepted" in response.content.decode()
    assert not Review.objects.exists() and not EvidenceFile.objects.exists()


def test_a_renamed_file_is_refused(client_for, ready_pilot, owner):
    response = _post(client_for(owner), ready_pilot, SimpleUploadedFile("memo.pdf", b"<html>"))
    assert response.status_code == 400 and "not a real .pdf file" in response.content.decode()


def test_too_many_files_are_refused(client_for, ready_pilot, owner):
    files = [SimpleUploadedFile(f"r{i}.txt", b"x") for i in range(MAX_EVIDENCE_FILES + 1)]
    response = _post(client_for(owner), ready_pilot, *files)
    # Not Django's bare 400: the request page, its error summary naming the field.
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert f'href="#id_evidence_files">Evidence files: Attach at most {MAX_EVIDENCE_FILES}' in page
    assert 'id="id_evidence_files_error"' in page and "Nothing was sent" in page
    assert not Review.objects.exists()
    with pytest.raises(ValidationError) as exc:
        services.review_request(
            pilot=ready_pilot, to_stage="pilot", by=owner, evidence_uploads=files
        )
    assert exc.value.message_dict["evidence_files"] == [
        f"Attach at most {MAX_EVIDENCE_FILES} files to one review."
    ]
    assert not EvidenceFile.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client_for, ready_pilot, owner, settings):
    settings.PILOTGATE_UPLOAD_MAX_BYTES = 10
    response = _post(client_for(owner), ready_pilot, SimpleUploadedFile("big.txt", b"x" * 11))
    assert response.status_code == 400 and "MB limit" in response.content.decode()


@pytest.mark.parametrize("who", ["governance_lead", "executive", "outsider"])
def test_wrong_actors_cannot_attach_files(request, client_for, ready_pilot, who):
    user = request.getfixturevalue(who)
    response = _post(client_for(user), ready_pilot, SimpleUploadedFile("r.pdf", PDF))
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.review_request(
            pilot=ready_pilot, to_stage="pilot", by=user,
            evidence_uploads=[SimpleUploadedFile("r.pdf", PDF)],
        )  # fmt: skip
    assert not EvidenceFile.objects.exists() and not Review.objects.exists()


def test_review_page_query_count_is_constant_as_files_grow(
    client_for, ready_pilot, owner, governance_lead
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    review = services.review_request(
        pilot=ready_pilot, to_stage="pilot", by=owner,
        evidence_uploads=[SimpleUploadedFile("a.txt", b"a")],
    )  # fmt: skip
    client = client_for(governance_lead)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/gates/reviews/{review.pk}/").status_code == 200
        return len(ctx.captured_queries)

    small = queries()
    for i in range(4):
        review.evidence_files.add(
            EvidenceFile.objects.create(
                pilot=ready_pilot,
                file=f"evidence/x{i}.txt",
                name=f"x{i}.txt",
                content_type="text/plain",
                size=1,
                uploaded_by=owner,
            )  # fmt: skip
        )
    assert queries() == small


def test_too_many_files_show_the_page_under_a_real_csrf_check(ready_pilot, owner):
    """Django drops the whole body, token included, when there are too many files: the page
    still answers with the form error (nothing is written), not a CSRF refusal."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = f"/gates/pilots/{ready_pilot.pk}/request/"
    token = client.get(url).context["csrf_token"]
    files = [SimpleUploadedFile(f"r{i}.txt", b"x") for i in range(MAX_EVIDENCE_FILES + 1)]
    response = client.post(url, {"csrfmiddlewaretoken": str(token), "evidence_files": files})
    assert response.status_code == 400 and "Attach at most" in response.content.decode()
    assert not Review.objects.exists() and not EvidenceFile.objects.exists()


def test_too_many_files_elsewhere_keep_djangos_400(client_for, ready_pilot, owner):
    files = [SimpleUploadedFile(f"r{i}.txt", b"x") for i in range(MAX_EVIDENCE_FILES + 1)]
    response = client_for(owner).post(
        f"/pilots/{ready_pilot.pk}/workbooks/data/", {"bias_review_evidence_upload": files}
    )
    assert response.status_code == 400 and "error-summary" not in response.content.decode()
