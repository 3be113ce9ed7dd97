//! Cookie names and attributes. Over HTTPS the names carry the `__Host-` prefix, which
//! browsers only accept with Secure, Path=/ and no Domain, so a sibling site cannot plant them.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};

#[derive(Clone, Copy, Debug)]
pub struct Cookies {
    pub secure: bool,
}

impl Cookies {
    pub fn session_name(self) -> &'static str {
        if self.secure {
            "__Host-clinic_session"
        } else {
            "clinic_session"
        }
    }

    pub fn csrf_name(self) -> &'static str {
        if self.secure {
            "__Host-clinic_csrf"
        } else {
            "clinic_csrf"
        }
    }

    /// A login that passed the password and waits for its second factor.
    pub fn challenge_name(self) -> &'static str {
        if self.secure {
            "__Host-clinic_login"
        } else {
            "clinic_login"
        }
    }

    fn attributes(self) -> &'static str {
        if self.secure {
            "; Path=/; HttpOnly; SameSite=Lax; Secure"
        } else {
            "; Path=/; HttpOnly; SameSite=Lax"
        }
    }

    pub fn set(self, headers: &mut HeaderMap, name: &str, value: &str) {
        let cookie = format!("{name}={value}{}", self.attributes());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(SET_COOKIE, value);
        }
    }

    pub fn clear(self, headers: &mut HeaderMap, name: &str) {
        let cookie = format!("{name}=; Max-Age=0{}", self.attributes());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(SET_COOKIE, value);
        }
    }
}

/// The value of cookie `name` sent with a request.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether a response already sets cookie `name` (a handler's choice wins over a layer's).
pub fn sets(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split_once('=').is_some_and(|(key, _)| key == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; clinic_session=abc; b=2"),
        );
        assert_eq!(read(&headers, "clinic_session"), Some("abc"));
        assert_eq!(read(&headers, "clinic"), None);
    }

    #[test]
    fn secure_cookies_use_the_host_prefix_and_flag() {
        let cookies = Cookies { secure: true };
        let mut headers = HeaderMap::new();
        cookies.set(&mut headers, cookies.session_name(), "v");
        let set = headers.get(SET_COOKIE).unwrap().to_str().unwrap();
        assert_eq!(
            set,
            "__Host-clinic_session=v; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(sets(&headers, "__Host-clinic_session"));
    }
}
