-- Temporal's own role; the temporal-schema service (docker-compose.yml) creates its databases (temporal, temporal_visibility).
CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal';
