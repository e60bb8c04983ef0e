"""Every way of signing in, ending in one place.

Each provider module proves who someone is (or says which step is still needed): `workos`
(AuthKit and SSO codes, and the grants shared by AuthKit's other ways in), `authkit` (emailed
codes, WorkOS-held passwords, a CLI's device code, password reset), `steps` (resuming a pending
sign-in), `oidc` (Google, Okta) and `password` (a Django-held password). They return an
`identity.Identity` or an `identity.Pending`; `flow.complete` turns either into a sign-in.
"""
