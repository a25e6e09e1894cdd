-- Temporal's own role; auto-setup creates its databases (temporal, temporal_visibility).
CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal';
