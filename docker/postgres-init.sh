#!/bin/bash
# Runs once, when the PostgreSQL volume is new: a database and a role per subgraph,
# each role able to connect to its own database only.
set -euo pipefail
for name in users inventory orders notifications; do
  password_var="${name^^}_DB_PASSWORD"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v name="$name" -v password="${!password_var}" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
