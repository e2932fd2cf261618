from django.apps import AppConfig


class RegulationConfig(AppConfig):
    name = "regulation"
    verbose_name = "Regulation (EU AI Act)"

    def ready(self) -> None:
        from gates import extensions
        from portfolio import services as portfolio_services
        from regulation.criteria import criteria_for
        from regulation.services import risk_tier_refusal

        if criteria_for not in extensions.CRITERIA_PROVIDERS:
            extensions.CRITERIA_PROVIDERS.append(criteria_for)
        if risk_tier_refusal not in portfolio_services.PILOT_UPDATE_CHECKS:
            portfolio_services.PILOT_UPDATE_CHECKS.append(risk_tier_refusal)
