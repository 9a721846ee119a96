//! Request ids: what a client quotes back when it reports a problem, unique per answer.

use rand::RngCore;

/// A random (version 4) UUID from the thread's user-space CSPRNG: `uuid::Uuid::new_v4` asks
/// the kernel (one getrandom(2) per answer, a measurable share of a microseconds-long
/// request), and an id that is only meant to be unique needs no more than this.
pub fn request_uuid() -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_4_and_distinct() {
        let a = request_uuid();
        let b = request_uuid();
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a, b);
    }
}
