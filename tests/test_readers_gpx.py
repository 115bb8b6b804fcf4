"""The GPX reader on small GPX strings, one exporter's habit each."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

import numpy as np
import pytest

from conftest import DATA
from retrotrack.errors import ReadError
from retrotrack.readers import read_activity, read_data
from retrotrack.readers.gpx import sport_from_type

GPX11 = 'version="1.1" xmlns="http://www.topografix.com/GPX/1/1"'
TPX1 = 'xmlns:ns3="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"'


def points(n: int, ext=lambda i: "", extra=lambda i: "", step_deg: float = 2.7e-5, start_s: int = 0,
           lat0: float = 53.34) -> str:
    """n points one second apart, ~3 m apart going north from `lat0`."""
    out = []
    for i in range(n):
        t = datetime.fromtimestamp(1781427600 + start_s + i, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(f'<trkpt lat="{lat0 + i * step_deg:.7f}" lon="-6.26"><ele>{10 + i}</ele><time>{t}</time>'
                   f"{extra(i)}{ext(i)}</trkpt>")
    return "".join(out)


def gpx(body: str, attrs: str = GPX11, creator: str = "Garmin Connect", trk_type: str | None = "running") -> bytes:
    kind = f"<type>{trk_type}</type>" if trk_type else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><gpx creator="{creator}" {attrs}>'
            f"<trk><name>Run</name>{kind}<trkseg>{body}</trkseg></trk></gpx>").encode()


def test_garmin_connect_ns3_extensions():
    ext = lambda i: (f"<extensions><ns3:TrackPointExtension><ns3:hr>{140 + i}</ns3:hr><ns3:cad>85</ns3:cad>"
                     "</ns3:TrackPointExtension></extensions>")
    act = read_data(gpx(points(20, ext), attrs=f"{GPX11} {TPX1}"), "garmin.gpx")
    assert act.format == "gpx" and act.sport == "running" and act.device == "Garmin Connect"
    assert act.heart_rate_bpm[3] == 143
    assert act.cadence_spm[3] == 170.0  # one foot's strides, doubled
    assert act.altitude_m[3] == 13.0
    assert act.distance_m[-1] == pytest.approx(19 * 3.0, rel=0.01)
    assert act.step_length_m[5] == pytest.approx(act.speed_mps[5] / (170 / 60), rel=1e-6)
    assert act.start_time == datetime(2026, 6, 14, 9, 0, tzinfo=timezone.utc)


def test_strava_gpxtpx_prefix_and_numeric_type():
    ext = lambda i: ("<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>150</gpxtpx:hr>"
                     "<gpxtpx:cad>88</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions>")
    attrs = f'{GPX11} xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"'
    act = read_data(gpx(points(10, ext), attrs=attrs, creator="StravaGPX", trk_type="9"), "strava.gpx")
    assert act.sport == "running" and act.cadence_spm[0] == 176.0 and act.heart_rate_bpm[0] == 150
    ride = read_data(gpx(points(10, ext), attrs=attrs, creator="StravaGPX", trk_type="1"), "ride.gpx")
    assert ride.sport == "cycling" and not ride.has_cadence


def test_coros_extensions_without_prefix():
    ext = lambda i: "<extensions><heartrate>151</heartrate><cadence>172</cadence><speed>3.1</speed></extensions>"
    act = read_data(gpx(points(10, ext), creator="COROS"), "coros.gpx")
    assert act.heart_rate_bpm[2] == 151
    assert act.cadence_spm[2] == 172.0  # already steps: not doubled
    assert act.speed_mps[2] == pytest.approx(3.1)


def test_apple_watch_two_sibling_extensions_both_read():
    ext = lambda i: ("<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>140</gpxtpx:hr>"
                     "</gpxtpx:TrackPointExtension></extensions>"
                     "<extensions><gpxtpx:TrackPointExtension><gpxtpx:cad>80</gpxtpx:cad>"
                     "</gpxtpx:TrackPointExtension></extensions>")
    attrs = f'{GPX11} xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"'
    act = read_data(gpx(points(10, ext), attrs=attrs, creator="Apple Watch"), "apple.gpx")
    assert act.heart_rate_bpm[0] == 140 and act.cadence_spm[0] == 160.0


def test_upper_case_extension_names():
    ext = lambda i: "<extensions><TrackPointExtension><HR>139</HR><CAD>84</CAD></TrackPointExtension></extensions>"
    act = read_data(gpx(points(10, ext)), "upper.gpx")
    assert act.heart_rate_bpm[0] == 139 and act.cadence_spm[0] == 168.0


def test_bom_and_no_namespace():
    data = b"\xef\xbb\xbf" + gpx(points(10), attrs='version="1.1"', trk_type=None)
    act = read_data(data, "broken1.gpx")
    assert len(act) == 10 and act.sport == "unknown"


def test_gpx10_course_is_travel_speed_is_read():
    extra = lambda i: "<course>271.5</course><speed>2.9</speed>"
    data = gpx(points(10, extra=extra), attrs='version="1.0" xmlns="http://www.topografix.com/GPX/1/0"')
    act = read_data(data, "gpx10.gpx")
    assert act.speed_mps[0] == pytest.approx(2.9)
    assert not act.has_heading


def test_bearing_is_facing_course_is_not():
    tpx2 = 'xmlns:ns3="http://www.garmin.com/xmlschemas/TrackPointExtension/v2"'
    ext = lambda i: (f"<extensions><ns3:TrackPointExtension><ns3:course>0.0</ns3:course>"
                     f"<ns3:bearing>{180.0 + i}</ns3:bearing></ns3:TrackPointExtension></extensions>")
    act = read_data(gpx(points(10, ext), attrs=f"{GPX11} {tpx2}"), "tpx2.gpx")
    np.testing.assert_allclose(act.heading_deg, 180.0 + np.arange(10))
    only_course = lambda i: "<extensions><course>12.0</course></extensions>"
    assert not read_data(gpx(points(10, only_course)), "apple.gpx").has_heading


def test_out_of_spec_fix_reads():
    extra = lambda i: "<sat>7</sat><hdop>1.2</hdop><fix>something_not_in_the_spec</fix>"
    act = read_data(gpx(points(5, extra=extra)), "with_accuracy.gpx")
    assert len(act) == 5


def test_undefined_coordinates_are_dropped_with_a_warning():
    body = points(5) + '<trkpt lat="undefined" lon="undefined"><time>2026-06-14T09:10:00Z</time></trkpt>'
    act = read_data(gpx(body), "osmand.gpx")
    assert len(act) == 5
    assert any("unusable coordinates" in w for w in act.warnings) and not act.damage
    only_bad = '<trkpt lat="undefined" lon="undefined"/><trkpt lat="y" lon="1"/>'
    with pytest.raises(ReadError, match="bad.gpx: no usable track points"):
        read_data(gpx(only_bad), "bad.gpx")


def test_points_without_time():
    body = points(5) + '<trkpt lat="53.35" lon="-6.26"><time>yesterday</time></trkpt>'
    act = read_data(gpx(body), "x.gpx")
    assert len(act) == 5 and any("without a valid time" in w for w in act.warnings) and not act.damage
    route = gpx('<trkpt lat="53.35" lon="-6.26"/><trkpt lat="53.36" lon="-6.26"/>')
    with pytest.raises(ReadError, match="no usable track points"):
        read_data(route, "route.gpx")


def test_a_file_cut_off_part_way_is_read_up_to_the_damage():
    data = gpx(points(40))
    act = read_data(data[: data.index(b"<trkpt", len(data) // 2) + 30], "cut.gpx")
    assert 15 < len(act) < 40
    assert act.damage and act.damage[0].startswith("the file is cut off or damaged")
    assert act.warnings[0] == act.damage[0]


def test_not_xml_and_not_gpx():
    with pytest.raises(ReadError, match="badcharacter.xml: not well-formed XML"):
        read_data("<xml∂></xml>".encode(), "badcharacter.xml")
    with pytest.raises(ReadError, match="not a GPX file"):
        read_data(b"<?xml version='1.0'?><kml><Document/></kml>", "places.gpx")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<gpx version="1.1"><trk><name>&lol3;</name></trk></gpx>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<gpx version="1.1"><trk><name>&secret;</name></trk></gpx>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE gpx SYSTEM "http://example.com/evil.dtd">
<gpx version="1.1"><trk><name>x</name></trk></gpx>"""


@pytest.mark.parametrize("doc", [BILLION_LAUGHS, EXTERNAL, EXTERNAL_DTD])
def test_entities_and_external_references_are_refused(doc):
    with pytest.raises(ReadError, match="refusing XML"):
        read_data(doc, "evil.gpx")


def test_a_plain_doctype_is_fine():
    data = gpx(points(5)).replace(b"<gpx ", b"<!DOCTYPE gpx><gpx ", 1)
    assert len(read_data(data, "doctype.gpx")) == 5


def test_several_segments_make_pauses():
    body = points(10) + "</trkseg><trkseg>" + points(10, start_s=100)
    act = read_data(gpx(body), "segments.gpx")
    assert act.pauses == [(9.0, 100.0)]
    assert act.elapsed_s == 109.0


def test_no_distance_is_run_across_the_gap_between_segments():
    # The watch was paused for 91 s, and the second segment starts ~560 m further north: the straight line
    # between them is not distance run (Strava and Garmin Connect add nothing there), and smoothing the
    # positions must not pull the fixes either side of the gap towards each other.
    body = points(10) + "</trkseg><trkseg>" + points(10, start_s=100, lat0=53.345)
    act = read_data(gpx(body), "segments.gpx")
    assert act.pauses == [(9.0, 100.0)]
    step = np.diff(act.distance_m)
    assert step[9] == 0.0
    assert step[:9] == pytest.approx(3.0, rel=0.01) and step[10:] == pytest.approx(3.0, rel=0.01)
    assert act.distance_m[-1] == pytest.approx(54.0, rel=0.01)
    assert np.nanmax(act.speed_mps) < 3.1


def test_a_drive_between_segments_is_no_corrupt_data():
    # Paused, driven ~22 km in 10 minutes (faster than anyone runs), resumed: the second segment's fixes are
    # the runner's, not teleported corruption, and the drive adds no distance.
    body = points(60) + "</trkseg><trkseg>" + points(60, start_s=660, lat0=53.54)
    act = read_data(gpx(body), "drive.gpx")
    assert act.pauses == [(59.0, 660.0)]
    assert np.isfinite(act.lat_deg).all()
    assert act.warnings == [] and act.damage == []
    assert act.distance_m[-1] == pytest.approx(2 * 59 * 3.0, rel=0.01)


def test_distance_is_two_dimensional():
    ele_jump = lambda i: ""
    act = read_data(gpx(points(11, ele_jump)), "hill.gpx")  # elevation climbs 1 m per point
    assert act.distance_m[-1] == pytest.approx(30.0, rel=0.01)


def test_distance_extension_is_the_device_odometer():
    ext = lambda i: f"<extensions><distance>{2.5 * i}</distance></extensions>"
    act = read_data(gpx(points(11, ext)), "odometer.gpx")
    assert act.distance_m[-1] == pytest.approx(25.0)


def test_gzipped_gpx(tmp_path):
    path = tmp_path / "run.gpx.gz"
    path.write_bytes(gzip.compress(gpx(points(10))))
    assert len(read_activity(path)) == 10


@pytest.mark.parametrize("text,sport", [("running", "running"), ("9", "running"), ("1", "cycling"),
                                        ("Trail Running", "trail_running"), ("road_biking", "cycling"),
                                        ("casual stroll", "unknown"), (None, "unknown")])
def test_sport_from_type(text, sport):
    assert sport_from_type(text) == sport


def test_real_apple_watch_copy():
    act = read_activity(DATA / "real" / "togeojson__Friday-Evening-Run.gpx")
    assert act.device == "Apple Watch" and len(act) == 17
    assert len(act.pauses) == 2  # three trkseg
    assert act.elapsed_s == pytest.approx(2569.3, abs=1)
    # gpxpy's length_2d (oracle.json), which sums each trkseg's own points: 87.7 m (less a few % for our
    # smoothing of the positions), not the 796 m of the straight lines across the pauses.
    assert act.distance_m[-1] == pytest.approx(87.7, rel=0.05)
    assert act.has_cadence and 100 < np.nanmax(act.cadence_spm) < 220
