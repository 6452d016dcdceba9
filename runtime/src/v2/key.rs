//! The APIv2 key.

use std::fmt;

use zeroize::Zeroizing;

use crate::Error;

/// The APIv2 key (32 characters, set on the merchant platform): signs APIv2 requests, checks
/// answers and notifications, and decrypts refund notifications. Its bytes are wiped on drop;
/// `Debug` never shows it.
#[derive(Clone)]
pub struct ApiV2Key(Zeroizing<String>);

impl ApiV2Key {
    /// The key; anything but 32 printable ASCII characters is an [`Error::Config`] (which never
    /// quotes it).
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key = Zeroizing::new(key.into());
        if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Config(format!(
                "the APIv2 key must be 32 printable ASCII characters (got {} bytes)",
                key.len()
            )));
        }
        Ok(ApiV2Key(key))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiV2Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV2Key(<withheld>)")
    }
}
