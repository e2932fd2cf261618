from accounts import rules


def roles(request):
    user = request.user
    return {
        "is_admin": rules.is_admin(user),
        "is_governance_lead": rules.is_governance_lead(user),
        "is_executive": rules.is_executive(user),
        "can_create_pilot": rules.can_create_pilot(user),
        "can_manage_webhooks": rules.can_manage_webhooks(user),
    }
