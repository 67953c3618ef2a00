fn main() {
    afl::fuzz!(|data: &[u8]| {
        wsuscat_fuzz::cab_pipeline(data);
    });
}
