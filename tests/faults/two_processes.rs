//! Two server processes on one PostgreSQL database (issue 15, point 4).
