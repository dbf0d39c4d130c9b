import { useQuery } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { api, unwrap } from "../api/client";
import { session } from "./session";

export function useSessionStatus() {
  return useSyncExternalStore(session.subscribe, session.getStatus);
}

/** The signed-in user (GET /v1/me), once there is a session. */
export function useMe() {
  const status = useSessionStatus();
  return useQuery({
    queryKey: ["me"],
    queryFn: async () => unwrap(await api.GET("/v1/me")),
    enabled: status === "signed-in",
    staleTime: 60_000,
  });
}
