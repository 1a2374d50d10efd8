def test_it_runs_the_whole_loop(alice_api, patient, frozen):
    r = alice_api.post(f"/api/v1/patients/{patient.id}/phases/", {"modality": "medication", "stage": "acute", "started_on": "2026-01-01"}, format="json")
    assert r.status_code == 201, r.content
    r = alice_api.post("/api/v1/assessments/", {"patient": patient.id, "instrument": "phq9", "items": [2]*9, "administered_at": "2025-12-30", "client_id": "x1"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["total"] == 18
    r = alice_api.post("/api/v1/assessments/", {"patient": patient.id, "instrument": "phq9", "items": [2]*8+[1], "administered_at": "2026-02-10"}, format="json")
    assert r.status_code == 201, r.content
    r = alice_api.get(f"/api/v1/patients/{patient.id}/summary/")
    print(r.json())
    r = alice_api.get("/api/v1/flags/")
    print(r.json())
    from reassessment.services import sweep
    print(sweep().as_dict())
    print(alice_api.get("/api/v1/flags/").json())
    print(alice_api.get("/api/v1/instruments/").status_code)
    print(alice_api.get("/api/schema/").status_code)
