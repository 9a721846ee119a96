//! Background work runs at the lowest priority, on what request threads leave: under load it
//! slows down instead of taking cores from requests and stretching their latency tail. The
//! key pair pool's refill thread lowers itself (answers reuse pairs while none is ready); the
//! expiry sweeper scans on a thread of the lowest priority and writes on its own, because a
//! write holds locks requests wait for (every access applies expiry itself anyway).

/// The nice value background threads take: the lowest priority.
pub(crate) const BACKGROUND_NICE: i32 = 19;

/// Lowers the calling thread's priority to [`BACKGROUND_NICE`]. On Linux a nice value belongs
/// to the thread; elsewhere `setpriority` would lower the whole process, so it is left alone.
/// A refusal (a sandbox without the system call) costs only the tail latency this saves.
pub(crate) fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    let _refused = rustix::process::setpriority_process(None, BACKGROUND_NICE);
}

/// Runs `work` on a thread of its own at the lowest priority and returns its result, or
/// `None` if that thread could not be started or panicked. For work that holds no lock others
/// wait on (reading, decoding): whatever takes a lock or leads a sync stays on the caller's
/// thread, at its priority, so it never keeps requests waiting while it waits for a core.
pub(crate) fn at_lowest_priority<T: Send>(work: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("kmsgate-lowprio".into())
            .spawn_scoped(scope, || {
                yield_to_requests();
                work()
            })
            .ok()?
            .join()
            .ok()
    })
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

/// The calling thread's nice value, from `/proc`.
#[cfg(all(test, target_os = "linux"))]
#[allow(clippy::unwrap_used)]
pub(crate) fn own_nice() -> i32 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let (_, rest) = stat.rsplit_once(") ").unwrap();
    rest.split(' ').nth(16).unwrap().parse().unwrap()
}

/// The nice value background threads end up with here: [`BACKGROUND_NICE`], or the
/// spawner's own where the system refuses `setpriority` (a sandbox), which the code shrugs
/// off by design. Asked of a throwaway thread, as a nice value cannot be raised back.
#[cfg(all(test, target_os = "linux"))]
#[allow(clippy::unwrap_used)]
pub(crate) fn expected_background_nice() -> i32 {
    let own = own_nice();
    let lowered =
        std::thread::spawn(|| rustix::process::setpriority_process(None, BACKGROUND_NICE).is_ok())
            .join()
            .unwrap();
    if lowered { BACKGROUND_NICE } else { own }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn work_runs_at_the_lowest_priority_and_the_caller_keeps_its_own() {
        let before = own_nice();
        assert_eq!(
            at_lowest_priority(own_nice),
            Some(expected_background_nice())
        );
        assert_eq!(own_nice(), before);
    }

    #[test]
    fn a_panic_in_the_work_is_none_not_a_panic_here() {
        let result: Option<()> = at_lowest_priority(|| panic!("scan failed"));
        assert_eq!(result, None);
    }
}
