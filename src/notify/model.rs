//! What staff emails say. No names, answers or other patient data: a link to sign in.

/// Subject and body of the email telling clinicians an urgent screening is waiting.
pub fn urgent_screening_email(public_url: Option<&str>) -> (String, String) {
    let place = match public_url {
        Some(url) => format!("{}/clinician/screenings", url.trim_end_matches('/')),
        None => "the screening queue in the clinic system".to_owned(),
    };
    (
        "Urgent screening waiting for review".to_owned(),
        format!(
            "A patient's pre-infusion screening was flagged for suicide risk and is waiting at the top of the review queue.\n\nSign in to review it: {place}\n\nThis message contains no patient details on purpose.\n"
        ),
    )
}

/// Subject and body of the email telling clinicians a clinical alert (a risk answer before a
/// session, a follow-up needing review, a bedside alert) is waiting to be cleared.
pub fn clinical_alert_email(what: &str, public_url: Option<&str>) -> (String, String) {
    let place = match public_url {
        Some(url) => format!("{}/clinician/alerts", url.trim_end_matches('/')),
        None => "the alerts list in the clinic system".to_owned(),
    };
    (
        format!("Clinical alert waiting: {what}"),
        format!(
            "A patient's record raised an alert ({what}) that a clinician must assess and clear before the next step.\n\nSign in to see it: {place}\n\nThis message contains no patient details on purpose.\n"
        ),
    )
}

/// A mail relay address: `smtp://[user[:password]@]host[:port]` (port 25 by default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
}

fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn parse_relay(url: &str) -> Result<Relay, String> {
    let rest = url
        .strip_prefix("smtp://")
        .ok_or("use smtp://host:port (TLS is not supported: run a local relay)")?;
    let rest = rest.trim_end_matches('/');
    let (credentials, address) = match rest.rsplit_once('@') {
        Some((user_info, address)) => {
            let (user, password) = user_info.split_once(':').unwrap_or((user_info, ""));
            let decoded = percent_decode(user).zip(percent_decode(password));
            (
                Some(decoded.ok_or("the user name or password is not well encoded")?),
                address,
            )
        }
        None => (None, rest),
    };
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .map_err(|_| "the port is not a number")?,
        ),
        None => (address, 25),
    };
    if host.is_empty() {
        return Err("the host is missing".into());
    }
    Ok(Relay {
        host: host.to_owned(),
        port,
        credentials,
    })
}

/// How long to wait before trying a failed message again: 1, 2, 4 ... minutes, at most an hour.
pub fn retry_delay_minutes(attempts: i32) -> i32 {
    let doubling = attempts.clamp(0, 6);
    (1 << doubling).min(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_email_links_to_the_alerts_and_names_nobody() {
        let (subject, body) =
            clinical_alert_email("Suicide-risk answer", Some("https://clinic.example/"));
        assert!(subject.contains("Suicide-risk answer"));
        assert!(body.contains("https://clinic.example/clinician/alerts"));
        assert!(body.contains("no patient details"));
        let (_, without_url) = clinical_alert_email("Deep sedation", None);
        assert!(without_url.contains("alerts list"));
    }

    #[test]
    fn the_urgent_email_links_to_the_queue_and_names_nobody() {
        let (subject, body) = urgent_screening_email(Some("https://clinic.example/"));
        assert!(subject.contains("Urgent"));
        assert!(body.contains("https://clinic.example/clinician/screenings"));
        let (_, without_url) = urgent_screening_email(None);
        assert!(without_url.contains("review queue"));
    }

    #[test]
    fn relay_addresses_parse_with_and_without_credentials() {
        assert_eq!(
            parse_relay("smtp://relay.clinic.lan"),
            Ok(Relay {
                host: "relay.clinic.lan".into(),
                port: 25,
                credentials: None
            })
        );
        assert_eq!(
            parse_relay("smtp://clinic%40example.com:p%3Ass@127.0.0.1:2525"),
            Ok(Relay {
                host: "127.0.0.1".into(),
                port: 2525,
                credentials: Some(("clinic@example.com".into(), "p:ss".into()))
            })
        );
        assert!(parse_relay("smtps://relay").is_err());
        assert!(parse_relay("smtp://relay:port").is_err());
        assert!(parse_relay("smtp://").is_err());
    }

    #[test]
    fn retries_back_off_up_to_an_hour() {
        assert_eq!(retry_delay_minutes(0), 1);
        assert_eq!(retry_delay_minutes(1), 2);
        assert_eq!(retry_delay_minutes(5), 32);
        assert_eq!(retry_delay_minutes(6), 60);
        assert_eq!(retry_delay_minutes(40), 60);
    }
}
