//! Background threads (the key pair pool's refill, the expiry sweeper) run at the lowest
//! priority, on what request threads leave: under load they slow down instead of taking
//! cores from requests and stretching their latency tail. Neither is urgent: the pool's
//! answers reuse pairs while none is ready, and every access applies expiry itself.

/// The nice value background threads take: the lowest priority.
pub(crate) const BACKGROUND_NICE: i32 = 19;

/// Lowers the calling thread's priority to [`BACKGROUND_NICE`]. On Linux a nice value belongs
/// to the thread; elsewhere `setpriority` would lower the whole process, so it is left alone.
/// A refusal (a sandbox without the system call) costs only the tail latency this saves.
pub(crate) fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    let _refused = rustix::process::setpriority_process(None, BACKGROUND_NICE);
}

/// The nice values of this process's threads whose name starts with `name` (as `/proc`
/// shows it: at most 15 bytes).
#[cfg(all(test, target_os = "linux"))]
#[allow(clippy::unwrap_used)]
pub(crate) fn nice_values_of(name: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let Ok(stat) = std::fs::read_to_string(task.unwrap().path().join("stat")) else {
            continue; // the thread ended meanwhile
        };
        // "tid (comm) state ppid ...": nice is the 19th field, the 17th after the comm.
        let (head, rest) = stat.rsplit_once(") ").unwrap();
        if head
            .split_once(" (")
            .is_some_and(|(_, comm)| comm.starts_with(name))
        {
            found.push(rest.split(' ').nth(16).unwrap().parse().unwrap());
        }
    }
    found
}
