//! Service integrations (work in progress).
