//! Calendar time without a time-zone database: Unix seconds to and from
//! RFC 3339 / ISO 8601 UTC strings, as sources and reports write them.

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2025-12-09 11:35:11`, `2024-12-29T07:01:06.000Z` or
/// `2024-12-29T09:01:06+02:00` → Unix seconds (UTC). A bare date is midnight.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once([' ', 'T']).unwrap_or((s, "00:00:00Z"));
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, offset) = split_offset(time)?;
    let mut t = clock
        .split(':')
        .map(|x| x.split('.').next().and_then(|x| x.parse::<i64>().ok()));
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next().flatten().unwrap_or(0));
    Some(days_from_civil(y, m, day) * 86_400 + hh * 3600 + mm * 60 + ss - offset)
}

/// Checks an RFC 3339 timestamp as a user gives one: a full date-time
/// (`2026-01-02T03:04:05Z`, fractions of a second and a `±HH:MM` offset
/// allowed, `T` or a space between date and time) or a full date
/// (`2026-01-02`). The error says what is wrong.
pub fn check_rfc3339(s: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "`{s}` is not an RFC 3339 timestamp such as 2026-01-02T03:04:05Z ({why})"
        ))
    };
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    let number = |t: &str| t.parse::<i64>().unwrap_or(-1);
    let (date, time) = match s.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts[..] else {
        return bad("the date is not YYYY-MM-DD");
    };
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return bad("the date is not YYYY-MM-DD");
    }
    let (y, m, d) = (number(y), number(m), number(d));
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || !(1..=month_days[(m - 1) as usize]).contains(&d) {
        return bad("no such date");
    }
    let Some(time) = time else {
        return Ok(());
    };
    let Some((clock, offset)) = split_offset(time) else {
        return bad("the offset is not Z or ±HH:MM");
    };
    if clock.len() == time.len() {
        return bad("the time has no offset: add Z for UTC or ±HH:MM");
    }
    let offset_text = &time[clock.len()..];
    if !(offset_text.eq_ignore_ascii_case("z")
        || (offset_text.len() == 6
            && digits(&offset_text[1..3], 2)
            && &offset_text[3..4] == ":"
            && digits(&offset_text[4..], 2)
            && offset.abs() < 24 * 3600))
    {
        return bad("the offset is not Z or ±HH:MM");
    }
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, "0"));
    let hms: Vec<&str> = whole.split(':').collect();
    let [hh, mm, ss] = hms[..] else {
        return bad("the time is not HH:MM:SS");
    };
    if !(digits(hh, 2) && digits(mm, 2) && digits(ss, 2))
        || fraction.is_empty()
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return bad("the time is not HH:MM:SS");
    }
    if number(hh) > 23 || number(mm) > 59 || number(ss) > 60 {
        return bad("no such time of day");
    }
    Ok(())
}

/// Splits `07:01:06+02:00` into the clock and the offset in seconds.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    match time.rfind(['+', '-']) {
        Some(i) => {
            let sign = if time.as_bytes()[i] == b'-' { -1 } else { 1 };
            let (h, m) = time[i + 1..].split_once(':')?;
            let offset = h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60;
            Some((&time[..i], sign * offset))
        }
        None => Some((time, 0)),
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The report time: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
pub fn generated_at() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    rfc3339(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_timestamps_are_checked() {
        for ok in [
            "2026-01-02T03:04:05Z",
            "2026-01-02t03:04:05.250z",
            "2026-01-02 03:04:05+02:00",
            "2024-02-29T23:59:60-05:30",
            "2026-01-02",
        ] {
            assert_eq!(super::check_rfc3339(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("yesterday", "YYYY-MM-DD"),
            ("2026-1-2", "YYYY-MM-DD"),
            ("2025-02-29", "no such date"),
            ("2026-13-01T00:00:00Z", "no such date"),
            ("2026-01-02T03:04:05", "no offset"),
            ("2026-01-02T03:04Z", "HH:MM:SS"),
            ("2026-01-02T24:00:00Z", "no such time"),
            ("2026-01-02T03:04:05+0200", "offset"),
        ] {
            let e = super::check_rfc3339(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn rfc3339_table() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_764_097_200), "2025-11-25T19:00:00Z");
    }

    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<i64>)] = &[
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2000-02-29T00:00:00Z", Some(951_782_400)),
            ("2025-11-25T19:00:00.123Z", Some(1_764_097_200)),
            ("2025-11-25T21:00:00+02:00", Some(1_764_097_200)),
            ("2025-11-25T14:30:00-04:30", Some(1_764_097_200)),
            ("2025-11-25 19:00:00", Some(1_764_097_200)),
            ("2025-11-25", Some(1_764_028_800)),
            ("2025-13-01T00:00:00Z", None),
            ("yesterday", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_datetime(text), *want, "{text}");
        }
        for secs in [0, 86_399, 1_764_097_200, 4_102_444_800] {
            assert_eq!(parse_datetime(&rfc3339(secs)), Some(secs));
        }
    }
}
