from django.contrib.admin.apps import AdminConfig


class TalentSyncAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.TalentSyncAdminSite"
