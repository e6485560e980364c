"""People and access: users, roles, teams, agencies, sign-in, the permission table and masking."""
