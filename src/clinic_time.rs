//! The clinic's time zone: times are stored in UTC and shown in the clinic's local time,
//! from the IANA database compiled into the binary (daylight saving included).

use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use tz::TimeZoneRef;

#[derive(Clone, Copy, Debug)]
pub struct ClinicZone {
    name: &'static str,
    zone: TimeZoneRef<'static>,
}

/// A local time with the zone's abbreviation at that moment (EST or EDT, say).
#[derive(Clone, Copy, Debug)]
pub struct LocalTime {
    pub at: OffsetDateTime,
    pub abbreviation: &'static str,
}

impl ClinicZone {
    /// The zone with this IANA name (any case), under its canonical spelling.
    pub fn named(name: &str) -> Option<ClinicZone> {
        let name = name.trim();
        let canonical = tzdb::TZ_NAMES
            .iter()
            .find(|known| known.eq_ignore_ascii_case(name))?;
        Some(ClinicZone {
            name: canonical,
            zone: tzdb::tz_by_name(canonical)?,
        })
    }

    /// The stored setting's zone; UTC if the name is no longer known (a newer tz database may
    /// drop a link), so a page never fails over it.
    pub fn from_setting(name: &str) -> ClinicZone {
        ClinicZone::named(name).unwrap_or(ClinicZone {
            name: "UTC",
            zone: tz::TimeZoneRef::utc(),
        })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn local(&self, at: OffsetDateTime) -> LocalTime {
        match self.zone.find_local_time_type(at.unix_timestamp()) {
            Ok(kind) => {
                let offset =
                    UtcOffset::from_whole_seconds(kind.ut_offset()).unwrap_or(UtcOffset::UTC);
                LocalTime {
                    at: at.to_offset(offset),
                    abbreviation: static_designation(self.zone, kind.time_zone_designation()),
                }
            }
            Err(_) => LocalTime {
                at,
                abbreviation: "UTC",
            },
        }
    }

    /// The instant a local wall-clock time on `date` names. A time skipped by a spring-forward
    /// change is read as the moment of the change; a time that happens twice (autumn) as the
    /// first of the two.
    pub fn to_utc(&self, date: Date, time: Time) -> OffsetDateTime {
        let found = tz::DateTime::find(
            date.year(),
            u8::from(date.month()),
            date.day(),
            time.hour(),
            time.minute(),
            time.second(),
            0,
            self.zone,
        );
        let unix = found
            .ok()
            .and_then(|list| list.earliest())
            .map(|found| found.unix_time());
        match unix.and_then(|u| OffsetDateTime::from_unix_timestamp(u).ok()) {
            Some(at) => at,
            None => PrimitiveDateTime::new(date, time).assume_utc(),
        }
    }

    /// The clinic's calendar date at an instant.
    pub fn date_of(&self, at: OffsetDateTime) -> Date {
        self.local(at).at.date()
    }

    /// "10:42": the clinic's wall-clock time of an instant.
    pub fn clock(&self, at: OffsetDateTime) -> String {
        let local = self.local(at).at;
        format!("{:02}:{:02}", local.hour(), local.minute())
    }

    /// Each row beside its moment (picked by `at`) as the clinic reads it, for lists.
    pub fn label_each<T>(
        &self,
        rows: Vec<T>,
        at: impl Fn(&T) -> OffsetDateTime,
    ) -> Vec<(T, String)> {
        rows.into_iter()
            .map(|row| {
                let label = self.format(at(&row));
                (row, label)
            })
            .collect()
    }

    /// "28 Nov 2026, 10:42 EST": how signed records and schedules show a moment.
    pub fn format(&self, at: OffsetDateTime) -> String {
        let local = self.local(at);
        let month = local.at.month().to_string();
        format!(
            "{} {} {}, {:02}:{:02} {}",
            local.at.day(),
            &month[..3],
            local.at.year(),
            local.at.hour(),
            local.at.minute(),
            local.abbreviation
        )
    }
}

/// "2026-11-28 15:42:07 UTC": the stored instant itself, to the second.
pub fn utc_stamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The designation borrowed from the zone's static data (the zone itself is `'static`).
fn static_designation(zone: TimeZoneRef<'static>, designation: &str) -> &'static str {
    zone.local_time_types()
        .iter()
        .map(|kind| kind.time_zone_designation())
        .find(|known| *known == designation)
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn names_are_found_in_any_case_and_spelled_canonically() {
        let zone = ClinicZone::named("america/new_york").unwrap();
        assert_eq!(zone.name(), "America/New_York");
        assert!(ClinicZone::named("Mars/Olympus_Mons").is_none());
        assert_eq!(ClinicZone::from_setting("Mars/Olympus_Mons").name(), "UTC");
    }

    #[test]
    fn local_time_follows_daylight_saving() {
        let zone = ClinicZone::named("America/New_York").unwrap();
        assert_eq!(
            zone.format(datetime!(2026-11-28 15:42 UTC)),
            "28 Nov 2026, 10:42 EST"
        );
        assert_eq!(
            zone.format(datetime!(2026-07-04 15:42 UTC)),
            "4 Jul 2026, 11:42 EDT"
        );
        // Spring forward on 8 March 2026 at 02:00 local (07:00 UTC).
        assert_eq!(
            zone.format(datetime!(2026-03-08 06:59 UTC)),
            "8 Mar 2026, 01:59 EST"
        );
        assert_eq!(
            zone.format(datetime!(2026-03-08 07:00 UTC)),
            "8 Mar 2026, 03:00 EDT"
        );
    }

    #[test]
    fn utc_stamps_are_to_the_second() {
        assert_eq!(
            utc_stamp(datetime!(2026-03-08 02:30:07.9 -5)),
            "2026-03-08 07:30:07 UTC"
        );
    }

    #[test]
    fn local_times_become_instants_on_both_daylight_saving_days() {
        use time::macros::{date, time};
        let zone = ClinicZone::named("America/New_York").unwrap();
        // Spring forward, 8 March 2026: 09:00 is EDT (UTC-4); 02:30 does not exist.
        assert_eq!(
            zone.to_utc(date!(2026 - 03 - 08), time!(09:00)),
            datetime!(2026-03-08 13:00 UTC)
        );
        assert_eq!(
            zone.to_utc(date!(2026 - 03 - 07), time!(09:00)),
            datetime!(2026-03-07 14:00 UTC)
        );
        assert_eq!(
            zone.to_utc(date!(2026 - 03 - 08), time!(02:30)),
            datetime!(2026-03-08 07:00 UTC)
        );
        // Fall back, 1 November 2026: 09:00 is EST again; 01:30 happens twice, the first counts.
        assert_eq!(
            zone.to_utc(date!(2026 - 11 - 01), time!(09:00)),
            datetime!(2026-11-01 14:00 UTC)
        );
        assert_eq!(
            zone.to_utc(date!(2026 - 10 - 31), time!(09:00)),
            datetime!(2026-10-31 13:00 UTC)
        );
        assert_eq!(
            zone.to_utc(date!(2026 - 11 - 01), time!(01:30)),
            datetime!(2026-11-01 05:30 UTC)
        );
        assert_eq!(
            zone.date_of(datetime!(2026-11-02 03:00 UTC)),
            date!(2026 - 11 - 01)
        );
        assert_eq!(zone.clock(datetime!(2026-11-01 14:00 UTC)), "09:00");
    }

    #[test]
    fn utc_is_a_zone_too() {
        let zone = ClinicZone::named("UTC").unwrap();
        assert_eq!(
            zone.format(datetime!(2026-01-02 03:04 UTC)),
            "2 Jan 2026, 03:04 UTC"
        );
    }
}
