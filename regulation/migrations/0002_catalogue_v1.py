"""Load version 1 of the obligations catalogue: the EU AI Act duties, in our own words.

The data lives here, not in app code, so that later edits (new catalogue versions written
by governance leads) never change what this migration loads.
"""

from datetime import date

from django.db import migrations

HR = ["high_risk"]
ANY = ["high_risk", "transparency", "minimal"]
ALL_ROLES = ["provider", "deployer", "importer", "distributor"]
LITERACY = date(2025, 2, 2)
HIGH_RISK = date(2026, 8, 2)

# key, article, title, summary, classifications, roles, flag, evidence (kind, source, name),
# gate (the stage it leads into), applies from.
OBLIGATIONS = [
    ("ai_literacy", "Art. 4", "AI literacy",
     "Everyone who runs or uses the system on our behalf knows enough about AI, its "
     "limits and its risks for the job they do with it.",
     ANY, ALL_ROLES, "", ("checklist_item", "nist_ai_rmf", "govern_2"), "pilot", LITERACY),
    ("risk_management", "Art. 9", "Risk management system",
     "Known and foreseeable risks to health, safety and fundamental rights are identified, "
     "estimated and treated, and the analysis is kept up to date over the whole lifecycle.",
     HR, ["provider"], "", ("checklist_item", "nist_ai_rmf", "manage_1"), "pilot", HIGH_RISK),
    ("data_governance", "Art. 10", "Data and data governance",
     "Training, validation and test data are relevant, representative and examined for "
     "possible bias, and how they were collected and prepared is written down.",
     HR, ["provider"], "", ("workbook_field", "data", "bias_review"), "pilot", HIGH_RISK),
    ("technical_documentation", "Art. 11, Annex IV", "Technical documentation",
     "A technical file describes the system, its purpose, how it was built and tested and "
     "its limits, before it is put into service, and is kept current.",
     HR, ["provider"], "", ("checklist_item", "nist_ai_rmf", "map_1"), "readiness", HIGH_RISK),
    ("record_keeping", "Art. 12", "Record-keeping (logs)",
     "The system records events automatically so that what it did, and why, can be traced "
     "back over its lifetime.",
     HR, ["provider"], "", ("checklist_item", "ml_test_score", "infrastructure_5"),
     "readiness", HIGH_RISK),
    ("deployer_information", "Art. 13", "Instructions for deployers",
     "Those who use the system get instructions that say what it is for, how accurate it "
     "is, its known limits and how to oversee and maintain it.",
     HR, ["provider"], "", ("workbook_list", "operations", "runbooks"), "readiness", HIGH_RISK),
    ("human_oversight", "Art. 14", "Human oversight",
     "The system is designed so that a named person can understand its output, override it "
     "and stop it.",
     HR, ["provider"], "", ("workbook_field", "operations", "kill_switch_owner"),
     "pilot", HIGH_RISK),
    ("accuracy_robustness", "Art. 15", "Accuracy, robustness and cybersecurity",
     "The system reaches a declared level of accuracy, copes with errors and faults, and "
     "resists attempts to manipulate it.",
     HR, ["provider"], "", ("checklist_item", "nist_ai_rmf", "measure_2"), "readiness", HIGH_RISK),
    ("quality_management", "Art. 17", "Quality management system",
     "Written policies and procedures govern how the system is designed, tested, changed "
     "and monitored, and they are followed.",
     HR, ["provider"], "", ("checklist_item", "nist_ai_rmf", "govern_1"), "readiness", HIGH_RISK),
    ("conformity_assessment", "Art. 43", "Conformity assessment",
     "Before it is placed on the market or put into service, the system passes the "
     "conformity assessment that applies to it, and the EU declaration of conformity is "
     "drawn up (Art. 47, CE marking Art. 48).",
     HR, ["provider"], "", ("manual", "", ""), "scale", HIGH_RISK),
    ("registration", "Art. 49", "Registration in the EU database",
     "The provider registers the system in the EU database before placing it on the "
     "market; a public-sector deployer registers its use too.",
     HR, ["provider"], "", ("manual", "", ""), "scale", HIGH_RISK),
    ("post_market_monitoring", "Art. 72", "Post-market monitoring",
     "A plan collects and reviews data on how the system performs once in use, to find "
     "problems that need a correction.",
     HR, ["provider"], "", ("workbook_list", "monitoring", "monitored_metrics"),
     "scale", HIGH_RISK),
    ("serious_incidents", "Art. 73", "Reporting serious incidents",
     "A serious incident is reported to the market surveillance authority without delay, "
     "at the latest within the deadlines the article sets, along a known escalation path.",
     HR, ["provider"], "", ("workbook_field", "operations", "escalation_path"),
     "readiness", HIGH_RISK),
    ("use_per_instructions", "Art. 26(1)", "Use according to the instructions",
     "The system is used as the provider's instructions say, with the technical and "
     "organisational measures they ask for.",
     HR, ["deployer"], "", ("workbook_list", "operations", "runbooks"), "readiness", HIGH_RISK),
    ("deployer_oversight", "Art. 26(2)", "Human oversight by competent people",
     "Oversight is given to named people with the competence, training, authority and "
     "support to do it.",
     HR, ["deployer"], "", ("workbook_field", "operations", "kill_switch_owner"),
     "pilot", HIGH_RISK),
    ("deployer_monitoring", "Art. 26(5)", "Monitoring the operation",
     "The deployer watches how the system operates, and suspends it and informs the "
     "provider when it presents a risk.",
     HR, ["deployer"], "", ("workbook_list", "monitoring", "monitored_metrics"),
     "readiness", HIGH_RISK),
    ("log_retention", "Art. 26(6)", "Keeping the logs",
     "The logs the system generates, as far as they are under the deployer's control, are "
     "kept for at least six months.",
     HR, ["deployer"], "", ("checklist_item", "ml_test_score", "infrastructure_5"),
     "readiness", HIGH_RISK),
    ("inform_affected", "Art. 26(11)", "Informing the people concerned",
     "People about whom the system helps make decisions are told that it is used.",
     HR, ["deployer"], "", ("checklist_item", "nist_ai_rmf", "govern_5"), "readiness", HIGH_RISK),
    ("fria", "Art. 27", "Fundamental-rights impact assessment",
     "Before first use, the deployer assesses who could be affected, how, and what is done "
     "about it, and notifies the market surveillance authority of the result.",
     HR, ["deployer"], "fria", ("checklist_item", "nist_ai_rmf", "map_5"), "pilot", HIGH_RISK),
    ("transparency", "Art. 50", "Transparency to people",
     "People are told when they talk to an AI system, when content is AI-generated or "
     "altered, and when emotion recognition or biometric categorisation is used on them.",
     ["high_risk", "transparency"], ["provider", "deployer"], "transparency",
     ("checklist_item", "nist_ai_rmf", "govern_5"), "readiness", HIGH_RISK),
    ("importer_checks", "Art. 23", "Importer's checks",
     "Before placing the system on the market, the importer verifies that the provider "
     "carried out the conformity assessment and drew up the documentation.",
     HR, ["importer"], "", ("checklist_item", "nist_ai_rmf", "govern_6"), "readiness", HIGH_RISK),
    ("distributor_checks", "Art. 24", "Distributor's checks",
     "Before making the system available, the distributor verifies the CE marking, the "
     "declaration of conformity and the instructions.",
     HR, ["distributor"], "", ("checklist_item", "nist_ai_rmf", "manage_3"),
     "readiness", HIGH_RISK),
]


def load(apps, schema_editor):
    CatalogueVersion = apps.get_model("regulation", "CatalogueVersion")
    Obligation = apps.get_model("regulation", "Obligation")
    catalogue = CatalogueVersion.objects.create(
        number=1, note="First catalogue: EU AI Act (Regulation (EU) 2024/1689)"
    )
    Obligation.objects.bulk_create(
        Obligation(
            catalogue=catalogue,
            key=key,
            position=position,
            article=article,
            title=title,
            summary=summary,
            classifications=classifications,
            roles=roles,
            requires_flag=flag,
            evidence_kind=evidence[0],
            evidence_source=evidence[1],
            evidence_name=evidence[2],
            gate=gate,
            applies_from=applies_from,
        )
        for position, (
            key, article, title, summary, classifications, roles, flag, evidence, gate, applies_from
        ) in enumerate(OBLIGATIONS, start=1)
    )


def unload(apps, schema_editor):
    apps.get_model("regulation", "CatalogueVersion").objects.filter(number=1).delete()


class Migration(migrations.Migration):
    dependencies = [("regulation", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
