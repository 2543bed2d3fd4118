from django.urls import path

from parley.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/two-factor/", views.two_factor_view, name="two_factor"),
    path("logout/", views.logout_view, name="logout"),
    path("password-reset/", views.password_reset_view, name="password_reset"),
    path("reset/<str:uidb64>/<str:token>/", views.password_reset_confirm_view, name="password_reset_confirm"),
    path("invite/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
    path("account/", views.account_view, name="account"),
    path("account/two-factor/", views.two_factor_setup_view, name="two_factor_setup"),
]
