import asyncio, sys, time
from pathlib import Path
from journey_tools.personas import BUILT_IN
from journey_tools.simulate import load_journey_version, simulate
from journey_tools.timeline import format_timeline

async def main():
    name, version = sys.argv[1], int(sys.argv[2])
    release = load_journey_version(Path("journeys"), name, version)
    t = time.monotonic()
    timelines = await simulate(release, BUILT_IN)
    for tl in timelines:
        print(format_timeline(tl))
    print("seconds", time.monotonic() - t)

if __name__ == "__main__":
    asyncio.run(main())
