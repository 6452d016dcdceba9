//! Work spread over all cores: the loader parses files and the emitter prints files this way.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Error;

/// `work` over every item on all cores, results in the items' order. Each thread makes its own
/// state with `init` (for state that cannot be shared, like token streams) and takes the next
/// item from a shared counter, so a run of large items does not hold one thread up. The first
/// error (in item order) is returned; a panicking thread is an internal error, not a panic.
pub fn map_in_order<T, S, R, I, W>(items: &[T], what: &str, init: I, work: W) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
    I: Fn() -> Result<S, Error> + Sync,
    W: Fn(&mut S, &T) -> Result<R, Error> + Sync,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    // Per thread: its items' results, by item index (or the thread's own failure).
    type Done<R> = Result<Vec<(usize, Result<R, Error>)>, Error>;
    let results: Vec<Done<R>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (next, init, work) = (&next, &init, &work);
                scope.spawn(move || {
                    let mut state = init()?;
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { return Ok(mine) };
                        mine.push((i, work(&mut state, item)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Internal(format!("a {what} thread panicked"))))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(items.len());
    for r in results {
        all.extend(r?);
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}
