//! Constraints of the fleet rather than of the importer: the Windows Update
//! Agent version the clients run, and how old a catalog may be.
//!
//! A catalog whose `MinimumClientVersion` is newer than the fleet's agent is
//! refused by those clients; scanners such as SCC distrust a catalog older
//! than 30 days. Both are facts about the whole catalog, so they become
//! [`CatalogFinding`]s with their own rule names. Both fail closed: a value
//! that cannot be read is a finding, not a pass.

use std::cmp::Ordering;

use crate::error::{Error, ErrorKind, Result};
use crate::rules::finding::CatalogFinding;
use crate::rules::profile::Severity;

/// The `profile` field of constraint findings: they come from options.
pub const PROFILE: &str = "options";

/// A dotted version, compared numerically part by part; missing parts are 0.
#[derive(Debug, Clone)]
pub struct Version(Vec<u64>);

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, part) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

impl Version {
    /// Parses one to four dot-separated decimal numbers (`10.0.19041.1`),
    /// surrounding whitespace ignored; `None` for anything else.
    pub fn parse(s: &str) -> Option<Version> {
        let parts: Option<Vec<u64>> = s.trim().split('.').map(|p| p.parse().ok()).collect();
        parts.filter(|p| (1..=4).contains(&p.len())).map(Version)
    }

    fn part(&self, i: usize) -> u64 {
        self.0.get(i).copied().unwrap_or(0)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (0..4)
            .map(|i| self.part(i).cmp(&other.part(i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What `check` was asked to hold the catalog to beyond its profiles.
#[derive(Debug, Clone, Default)]
pub struct Constraints {
    /// The fleet's Windows Update Agent version.
    pub wua_version: Option<Version>,
    /// The oldest a catalog may be, in days.
    pub max_age_days: Option<u64>,
    /// "Now" as Unix seconds; `None` reads the clock. Tests pass a fixed one.
    pub now: Option<i64>,
}

impl Constraints {
    /// Parses the fleet's Windows Update Agent version.
    pub fn wua(s: &str) -> Result<Version> {
        Version::parse(s).ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                format!("Windows Update Agent version {s:?}: expected up to four numbers, like 10.0.19041.1"),
            )
        })
    }
}

/// Unix seconds of an RFC 3339 / xsd:dateTime text (`2026-05-12T08:51:08Z`,
/// with optional fraction and offset; no zone means UTC, as catalogs write
/// UTC).
pub fn unix_seconds(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &r[digits..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = &rest[1..];
            if r.len() != 5 || r.as_bytes()[2] != b':' {
                return None;
            }
            let oh: i64 = r[..2].parse().ok()?;
            let om: i64 = r[3..].parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

fn finding(rule: &str, subject: String, message: String) -> CatalogFinding {
    CatalogFinding {
        rule: rule.to_string(),
        profile: PROFILE.to_string(),
        severity: Severity::Breaks,
        subject,
        term: None,
        updates: 0,
        occurrences: 1,
        first: Vec::new(),
        message,
    }
}

/// The constraint findings for a catalog with these root attributes and
/// this signing time (pass `None` unless the signature verified).
pub fn findings(
    c: &Constraints,
    minimum_client_version: Option<&str>,
    creation_date: Option<&str>,
    signing_time: Option<&str>,
) -> Vec<CatalogFinding> {
    let mut out = Vec::new();
    if let (Some(fleet), Some(min)) = (&c.wua_version, minimum_client_version) {
        match Version::parse(min) {
            Some(v) if v <= *fleet => {}
            Some(_) => out.push(finding(
                "wua-version",
                format!("MinimumClientVersion={min:?}"),
                format!("the catalog requires a newer Windows Update Agent than the fleet runs ({fleet}): those clients refuse it"),
            )),
            None => out.push(finding(
                "wua-version",
                format!("MinimumClientVersion={min:?}"),
                "MinimumClientVersion is not a version: cannot tell whether the fleet's agent accepts the catalog".to_string(),
            )),
        }
    }
    if let Some(days) = c.max_age_days {
        let now = c.now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
        let limit = i64::try_from(days)
            .unwrap_or(i64::MAX / 86_400)
            .saturating_mul(86_400);
        let mut stamps = vec![("CreationDate", creation_date)];
        if signing_time.is_some() {
            stamps.push(("signing time", signing_time));
        }
        for (what, value) in stamps {
            match value.and_then(unix_seconds) {
                Some(t) if now.saturating_sub(t) <= limit => {}
                Some(t) => out.push(finding(
                    "max-age",
                    format!("{what} {}", value.unwrap_or_default()),
                    format!(
                        "the catalog is {} days old, more than the {days} allowed: scanners distrust stale catalogs",
                        now.saturating_sub(t) / 86_400
                    ),
                )),
                None => out.push(finding(
                    "max-age",
                    format!("{what} {}", crate::rules::finding::show_value(value)),
                    format!("{what} cannot be read as a date: cannot tell the catalog's age"),
                )),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_like_the_calendar() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2026-05-12T08:51:08Z"), Some(1_778_575_868));
        assert_eq!(unix_seconds("2000-03-01T00:00:00.123Z"), Some(951_868_800));
        assert_eq!(
            unix_seconds("2026-05-12T10:51:08+02:00"),
            Some(1_778_575_868)
        );
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "yesterday",
            "2026-05-12T08:51:08Q",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn versions_compare_numerically() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("5.8.0.2678") < v("10.0.0.0"));
        assert!(v("10.0") == v("10.0.0.0"));
        assert!(v("7.6.7600.256") > v("7.6.7600.255"));
        assert!(Version::parse("1.2.3.4.5").is_none());
        assert!(Version::parse("x").is_none());
    }
}
