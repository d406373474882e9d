"""OneRoster 1.2 for LMSs and SISs that pull the roster instead of being pushed to.

- `scopes`: the OneRoster scopes, and which collections each one opens.
- `clients`: OneRoster clients (a django-oauth-toolkit Application with the client-credentials
  grant, behind a RelyingParty of kind "oneroster"), registered by tenant admins.
- `query`: the REST binding's query parameters (limit, offset, filter, sort, orderBy, fields)
  parsed into a `Query`, or a `OneRosterError` with the binding's code minor.
- `records`: what Microcred's data is in OneRoster terms (tenant and units are orgs,
  microcredentials courses, offerings classes and terms, seats enrollments, learners users),
  as querysets and as the binding's JSON objects, within a `RosterScope` (a tenant, maybe units).
- `export`: the CSV binding's bulk zip (manifest.csv and one file per collection).
"""
