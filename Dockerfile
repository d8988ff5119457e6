# One image for both roles: `MessengerAutoReply.ApiHost.dll` or `MessengerAutoReply.Silo.dll`.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/ApiHost/ApiHost.csproj -c Release -o /app/api \
 && dotnet publish src/Silo/Silo.csproj -c Release -o /app/silo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app/api /app/api
COPY --from=build /app/silo /app/silo
ENV DATA_DIR=/data
VOLUME /data
