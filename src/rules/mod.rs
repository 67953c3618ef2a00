//! What a consumer accepts, and what a check found, as data.
//!
//! The layer above trust: [`profile`] holds the rules (built-in profiles in
//! `profiles/`, baselines, combination rules), [`vocab`] measures a
//! catalog's vocabulary to compare with a baseline, [`constraints`] holds the
//! fleet's limits (agent version, catalog age), [`finding`] is what a rule
//! yields, and [`baseline`] writes a vocabulary as a profile. Rules judge
//! updates; reading them is the catalog layer's job, and running a whole
//! check is a command's.

pub mod baseline;
pub mod constraints;
pub mod finding;
pub mod profile;
pub mod vocab;
