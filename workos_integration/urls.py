from django.urls import path

from workos_integration import views

urlpatterns = [
    path("webhooks/workos", views.webhook, name="workos-webhook"),
]
