// axios loads on the first HTTP call, so commands that make none (`rotate --help`) start fast.
import type { AxiosInstance, CreateAxiosDefaults } from "axios";

export async function createHttp(defaults: CreateAxiosDefaults): Promise<AxiosInstance> {
  const { default: axios } = await import("axios");
  return axios.create(defaults);
}
