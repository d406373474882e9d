from tenants.demo import seed_demo
from tenants.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from tenants.models import StaffMembership, Tenant, Unit


def counts():
    return (Tenant.objects.count(), Unit.objects.count(), StaffMembership.objects.count())


def test_seeding_twice_changes_nothing(db):
    assert seed_demo() is True
    first = counts()

    assert seed_demo() is False
    assert counts() == first == (2, 4, 4)


def test_demo_hosts_reach_their_own_tenant(db, client):
    seed_demo()

    for host, name in [
        ("127.0.0.1", "Northfield"),
        ("localhost:8000", "Northfield"),
        ("harbor.localhost:8000", "Harbor"),
    ]:
        body = client.get("/", HTTP_HOST=host).content.decode()
        assert name in body
    assert "Northfield" not in client.get("/", HTTP_HOST="harbor.localhost").content.decode()


def test_every_printed_demo_account_can_sign_in(db, client):
    seed_demo()

    for account in DEMO_ACCOUNTS:
        host = "harbor.localhost" if "harbor" in account.where else "127.0.0.1"
        response = client.post(
            "/accounts/login/", {"login": account.email, "password": DEMO_PASSWORD}, HTTP_HOST=host
        )
        assert response.status_code == 302, account.email
        client.logout()
