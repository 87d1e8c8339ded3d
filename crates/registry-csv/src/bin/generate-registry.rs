//! `generate-registry --meters N --out FILE [--seed S]`: writes a valid registry of N meter
//! rows (about 0.6·N accounts) for the import benchmark. The same seed gives the same file.

use std::error::Error;
use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

use vodokanal_registry_csv::generator::write_registry;

const USAGE: &str = "usage: generate-registry --meters N --out FILE [--seed S]";
const DEFAULT_SEED: u64 = 20_261_127;

struct Args {
    meters: u64,
    out: String,
    seed: u64,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut meters, mut out, mut seed) = (None, None, DEFAULT_SEED);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--meters" => {
                meters = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--meters {value:?} is not a count"))?,
                );
            }
            "--out" => out = Some(value),
            "--seed" => {
                seed = value
                    .parse()
                    .map_err(|_| format!("--seed {value:?} is not a number"))?;
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Args {
        meters: meters.ok_or("--meters is required")?,
        out: out.ok_or("--out is required")?,
        seed,
    })
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let file = File::create(&args.out).map_err(|e| format!("{}: {e}", args.out))?;
    let counts = write_registry(
        args.meters,
        args.seed,
        BufWriter::with_capacity(1 << 20, file),
    )
    .map_err(|e| format!("{}: {e}", args.out))?;
    eprintln!(
        "{}: {} rows, {} accounts, {} meters",
        args.out, counts.rows, counts.accounts, counts.meters
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate-registry: {e}");
            ExitCode::FAILURE
        }
    }
}
